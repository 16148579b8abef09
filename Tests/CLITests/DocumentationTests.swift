import Foundation
import LoupeCLI
import XCTest

/// A user has only the repository: the README, the docs and every command's `--help` name no
/// file outside it, and every link in them leads to a file that exists.
final class DocumentationTests: XCTestCase {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// What would send a reader out of the repository.
    let outside = ["../", "/work/", "DESIGN.md", "shared/"]

    var documents: [URL] {
        let docs = repository.appendingPathComponent("docs")
        let pages = (try? FileManager.default.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil)) ?? []
        return [repository.appendingPathComponent("README.md")] + pages.filter { $0.pathExtension == "md" }
    }

    func testEveryHelpStaysInsideTheRepository() throws {
        let paths = LoupeCLI.commandPaths
        XCTAssertGreaterThan(paths.count, 15)
        for path in paths {
            let help = try XCTUnwrap(LoupeCLI.help(path), "\(path)")
            for text in outside { XCTAssertFalse(help.contains(text), "loupe \(path.joined(separator: " ")) --help mentions \(text)") }
        }
    }

    func testTheDocumentsStayInsideTheRepositoryAndTheirLinksResolve() throws {
        let names = Set(documents.map(\.lastPathComponent))
        for page in ["README.md", "formats.md", "methods.md", "command-line.md", "workbench.md", "design.md", "testing.md"] {
            XCTAssertTrue(names.contains(page), "missing \(page)")
        }
        let link = try NSRegularExpression(pattern: #"\]\(([^)#]+)(#[^)]*)?\)"#)
        for document in documents {
            let text = try String(contentsOf: document, encoding: .utf8)
            for word in outside where word != "../" {
                XCTAssertFalse(text.contains(word), "\(document.lastPathComponent) mentions \(word)")
            }
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.hasPrefix("http://") || target.hasPrefix("https://") { continue }
                let file = document.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL
                XCTAssertTrue(
                    file.path.hasPrefix(repository.standardizedFileURL.path),
                    "\(document.lastPathComponent): \(target) leaves the repository")
                XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), "\(document.lastPathComponent): \(target) does not exist")
                if let r = Range(match.range(at: 2), in: text), file.pathExtension == "md" {
                    let anchor = String(text[r].dropFirst())
                    let headings = try anchors(of: file)
                    XCTAssertTrue(headings.contains(anchor), "\(document.lastPathComponent): \(target)\(text[r]) names no heading")
                }
            }
        }
    }

    /// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as '-'.
    func anchors(of page: URL) throws -> Set<String> {
        let lines = try String(contentsOf: page, encoding: .utf8).split(separator: "\n")
        return Set(
            lines.filter { $0.hasPrefix("#") }.map { line in
                let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
                return String(
                    title.unicodeScalars.compactMap { c -> Character? in
                        if c == " " { return "-" }
                        if c == "-" || c == "_" || CharacterSet.alphanumerics.contains(c) { return Character(c) }
                        return nil
                    })
            })
    }
}
