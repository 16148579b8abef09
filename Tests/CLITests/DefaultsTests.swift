import Foundation
import Interpret
import LoupeCLI
import TUI
import Workbench
import XCTest

/// Each default is written once, in its method's options: the command line's help, a probe run
/// that leaves it out, and the workbench's preset all read it from there.
final class DefaultsTests: XCTestCase {
    func helpText(_ path: [String]) -> String { LoupeCLI.help(path) ?? "" }

    /// The value ArgumentParser prints as `--option`'s default.
    func helpDefault(_ help: String, _ option: String) -> String? {
        let flat = help.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: " +", with: " ", options: .regularExpression)
        guard let start = flat.range(of: "\(option) <") else { return nil }
        let rest = flat[start.upperBound...]
        guard let d = rest.range(of: "default: ") else { return nil }
        return String(rest[d.upperBound...].prefix { $0 != ")" && $0 != ";" })
    }

    func testTheSAEDefaultsReachEveryFrontEnd() throws {
        let defaults = SAETrainingOptions.defaults
        // The command line.
        let help = helpText(["sae", "train"])
        XCTAssertEqual(helpDefault(help, "--k"), "\(defaults.k)")
        XCTAssertEqual(helpDefault(help, "--batch"), "\(defaults.batchSize)")
        XCTAssertEqual(helpDefault(help, "--architecture"), defaults.architecture.rawValue)
        let flat = help.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        XCTAssertTrue(flat.contains("(default \(defaults.steps), unless --epochs is given)"), help)
        // A probe run that leaves k out trains with the default, and --methods says so.
        let probe = try Probe.parse(
            """
            data = "builtin:digits:test"
            [models]
            m = "demo:mlp-1"
            [[run]]
            method = "sae"
            model = "m"
            layer = "relu1"
            latents = 64
            steps = 5
            """, source: "p.toml")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-defaults-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try ProbeRunner.run(probe, to: dir)
        XCTAssertTrue(report.sections[0].text[0].contains(", k = \(defaults.k) on"), report.sections[0].text[0])
        XCTAssertTrue(
            report.sections[0].text[0].contains("trained for 5 steps of \(min(defaults.batchSize, 449))"), report.sections[0].text[0])
        var command = try LoupeCLI.parse(["report", "--methods"])
        let methods = try Console.capture { try command.run() }
        XCTAssertTrue(methods.contains("pursuit steps (MP-SAE); default \(defaults.k)"), methods)
        // The workbench's quick preset is built on the same defaults: only size and length differ.
        let preset = SAETrainingOptions.workbench
        XCTAssertEqual(preset.k, defaults.k)
        XCTAssertEqual(preset.architecture, defaults.architecture)
        XCTAssertEqual(preset.learningRate, defaults.learningRate)
        let settings = SAEView.Settings()
        XCTAssertEqual(settings.k, preset.k)
        XCTAssertEqual(settings.architecture, preset.architecture)
        XCTAssertEqual(settings.steps, preset.steps)
        XCTAssertEqual(settings.batchSize, preset.batchSize)
        XCTAssertEqual(Double(settings.expansion), preset.expansionFactor)
    }

    func testTheOtherDefaults() {
        let cka = helpText(["cka"])
        XCTAssertEqual(helpDefault(cka, "--threshold"), "\(CKAKernel.defaultThreshold)")
        XCTAssertEqual(helpDefault(cka, "--kernel"), "linear")
        let rebasin = helpText(["rebasin"])
        XCTAssertEqual(helpDefault(rebasin, "--method"), RebasinOptions().method.rawValue)
        XCTAssertEqual(helpDefault(rebasin, "--max-sweeps"), "\(RebasinOptions().maximumSweeps)")
        XCTAssertEqual(helpDefault(rebasin, "--steps"), "\(RebasinOptions.defaultInterpolationSteps)")
        XCTAssertEqual(RebasinView.Settings().steps, RebasinOptions.defaultInterpolationSteps)
        XCTAssertEqual(helpDefault(helpText(["bilinear"]), "--top"), "\(BilinearReport.defaultTop)")
        XCTAssertEqual(BilinearView.Settings().top, BilinearReport.defaultTop)
        XCTAssertEqual(helpDefault(helpText(["lrp", "flip"]), "--steps"), "\(PixelFlippingOptions().steps)")
        XCTAssertEqual(helpDefault(helpText(["lrp", "explain"]), "--composite"), "epsilon-plus")
        let randomise = helpText(["lrp", "randomise"])
        XCTAssertEqual(helpDefault(randomise, "--samples"), "\(ModelRandomisationOptions().samples)")
        XCTAssertEqual(helpDefault(randomise, "--seed"), "\(ModelRandomisationOptions().seed)")
        XCTAssertEqual(helpDefault(randomise, "--composite"), ModelRandomisationOptions().configuration.composite.description)
        let match = helpText(["sae", "match"])
        XCTAssertEqual(helpDefault(match, "--threshold"), "\(LatentMatchingOptions().threshold)")
        XCTAssertEqual(helpDefault(match, "--permutations"), "\(LatentMatchingOptions().permutations)")
        XCTAssertEqual(helpDefault(match, "--seed"), "\(LatentMatchingOptions().seed)")
    }

    /// What `loupe report --methods` says a left-out probe parameter becomes is the library's default.
    func testProbeParameterHelpNamesTheLibraryDefaults() {
        func about(_ method: any ProbeMethod.Type, _ key: String) -> String {
            method.parameters.first { $0.name == key }?.about ?? ""
        }
        XCTAssertTrue(about(RebasinMethod.self, "steps").hasSuffix("(default \(RebasinOptions.defaultInterpolationSteps))"))
        XCTAssertTrue(about(BilinearMethod.self, "top").hasSuffix("(default \(BilinearReport.defaultTop))"))
        XCTAssertTrue(about(LRPMethod.self, "steps").hasSuffix("(default \(PixelFlippingOptions().steps))"))
        XCTAssertTrue(about(RandomisationMethod.self, "samples").hasSuffix("(default \(ModelRandomisationOptions().samples))"))
        XCTAssertTrue(about(SAEMatchMethod.self, "permutations").hasSuffix("(default \(LatentMatchingOptions().permutations): none)"))
        XCTAssertTrue(about(SAEMatchMethod.self, "threshold").hasSuffix("(default \(LatentMatchingOptions().threshold))"))
        XCTAssertTrue(about(AlignMethod.self, "methods").contains("\(ConvergentOptions().methods.map(\.rawValue))"))
    }
}
