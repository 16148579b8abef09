import Figures
import Foundation
import TensorIO
import Workbench

/// Names for the files the workbench writes into the export folder: what they hold and when
/// ("loupe-lrp-20261205-193012.csv"), with a counter when that name is taken
/// ("loupe-lrp-20261205-193012-2.csv"), so that two exports in one second never overwrite each
/// other. Writes never replace a file (`AtomicFile`'s `replacing: false`), so a name taken
/// between the choice and the write only moves the counter on.
enum ExportFiles {
    /// Writes one or more files that share a stamp: `body` gets, for each kind, the URL
    /// "loupe-KIND-STAMP[-N].EXT", and writes them all without replacing. Returns their URLs.
    static func write(
        in directory: URL, kinds: [String], ext: String, date: Date = Date(),
        _ body: ([URL]) throws -> Void
    ) throws -> [URL] {
        guard PathKind(directory.path) == .directory else {
            throw WorkbenchError("the export folder \(directory.path) does not exist; create it or start with --export-dir DIR")
        }
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = f.string(from: date)
        for n in 1...1000 {
            let urls = kinds.map { directory.appendingPathComponent("loupe-\($0)-\(stamp)" + (n == 1 ? "" : "-\(n)") + "." + ext) }
            guard urls.allSatisfy({ PathKind($0.path) == .missing }) else { continue }
            do {
                try body(urls)
                return urls
            } catch is AtomicFile.Exists {
                continue
            }
        }
        throw WorkbenchError("\(directory.path) already holds a thousand exports stamped \(stamp)")
    }
}

extension Table {
    /// Writes the CSV; never over an existing file (an export must not destroy one).
    public func writeCSV(to url: URL) throws {
        try AtomicFile.write(Data(csv.utf8), to: url, replacing: false)
    }
}
