import Foundation
import LinAlg
import TensorIO
import XCTest

final class CSVTests: XCTestCase {
    func write(_ text: String, _ name: String = "t.csv") throws -> URL {
        let url = try temporaryDirectory(self).appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func testReadsFixtureWithHeader() throws {
        let t = try CSVTable.read(fixture("with_header.csv"))
        XCTAssertEqual(t.header, ["x", "y", "label"])
        XCTAssertEqual(t.values, Matrix<Double>([[0.5, -1.25, 0], [0.001, 2, 1], [3, 4.5, 2]]))
        XCTAssertEqual(t.column(named: "label"), [0, 1, 2])
        XCTAssertEqual(t.column(named: "y"), [-1.25, 2, 4.5])
        XCTAssertNil(t.column(named: "z"))
    }

    func testReadsFixtureWithoutHeader() throws {
        let t = try CSVTable.read(fixture("no_header.csv"))
        XCTAssertNil(t.header)
        XCTAssertEqual(t.values, Matrix<Double>([[1, 2, 3], [4, 5, 6]]))
        XCTAssertNil(t.column(named: "1"))
        // Forced: the first row is a header even though it is numeric.
        let forced = try CSVTable.read(fixture("no_header.csv"), hasHeader: true)
        XCTAssertEqual(forced.header, ["1", "2", "3"])
        XCTAssertEqual(forced.values, Matrix<Double>([[4, 5, 6]]))
        XCTAssertEqual(forced.column(named: "2"), [5])
    }

    func testReadsQuotedFieldsAndCRLF() throws {
        let t = try CSVTable.read(fixture("quoted.csv"))
        XCTAssertEqual(t.header, ["a, \"first\"", "b\nsecond"])
        XCTAssertEqual(t.values, Matrix<Double>([[1.5, 2], [3, -4]]))
        XCTAssertEqual(t.column(named: "b\nsecond"), [2, -4])
        // Quoted numbers are numbers.
        let q = try CSVTable.read(write("\"1\",\" 2.5 \"\n3,4\n"))
        XCTAssertNil(q.header)
        XCTAssertEqual(q.values, Matrix<Double>([[1, 2.5], [3, 4]]))
    }

    func testReadsNaNAndInfinityText() throws {
        let t = try CSVTable.read(fixture("nan.csv"))
        XCTAssertEqual(t.header, ["a", "b"])
        XCTAssertEqual(t.values.rows, 3)
        XCTAssertTrue(t.values[0, 0].isNaN)
        XCTAssertEqual(t.values[0, 1], 1)
        XCTAssertTrue(t.values[1, 0].isNaN)
        XCTAssertEqual(t.values[1, 1], .infinity)
        XCTAssertTrue(t.values[2, 0].isNaN, "an empty cell is NaN")
        XCTAssertEqual(t.values[2, 1], -.infinity)
        // "nan" in the first row does not make it a header.
        let n = try CSVTable.read(write("nan,1\n2,3\n"))
        XCTAssertNil(n.header)
        XCTAssertEqual(n.values.rows, 2)
    }

    func testAutoDetectsHeaderAndSkipsBlankLines() throws {
        let t = try CSVTable.read(write("\u{FEFF}name,2\n\n1,2\n\r\n3,4"))
        XCTAssertEqual(t.header, ["name", "2"])
        XCTAssertEqual(t.values, Matrix<Double>([[1, 2], [3, 4]]))
        let headerOnly = try CSVTable.read(write("a,b,c\n"))
        XCTAssertEqual(headerOnly.header, ["a", "b", "c"])
        XCTAssertEqual(headerOnly.values.rows, 0)
        XCTAssertEqual(headerOnly.values.cols, 3)
        let empty = try CSVTable.read(write(""))
        XCTAssertNil(empty.header)
        XCTAssertEqual(empty.values.count, 0)
    }

    func testRefusesRaggedRows() throws {
        let url = try write("a,b,c\n1,2,3\n4,5\n")
        assertTensorIOError([url.path, "line 3: expected 3 columns (as in line 2), found 2"]) { try CSVTable.read(url) }
        let first = try write("a,b\n1,2,3\n")
        assertTensorIOError(["line 2: expected 2 columns (as in the header), found 3"]) { try CSVTable.read(first) }
        // Line numbers count the newlines inside quoted cells.
        let quoted = try write("\"multi\nline\",b\n1,2\n3\n")
        assertTensorIOError(["line 4: expected 2 columns"]) { try CSVTable.read(quoted) }
    }

    func testRefusesNonNumericCells() throws {
        let url = try write("x,y\n1,2\n3,abc\n")
        assertTensorIOError([url.path, "line 3, column 2 ('y'): cannot parse \"abc\" as a number"]) { try CSVTable.read(url) }
        let noHeader = try write("1,2\n3,4x\n")
        assertTensorIOError(["line 2, column 2: cannot parse \"4x\" as a number"]) { try CSVTable.read(noHeader) }
        // hasHeader: false makes a text first row an error instead of a header.
        let text = try write("a,b\n1,2\n")
        assertTensorIOError(["line 1, column 1: cannot parse \"a\" as a number"]) { try CSVTable.read(text, hasHeader: false) }
        assertTensorIOError(["no such file"]) { try CSVTable.read(text.appendingPathExtension("missing")) }
        let binary = try write("x")
        try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: binary)
        assertTensorIOError(["not valid UTF-8"]) { try CSVTable.read(binary) }
    }

    func testNumericRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        let m = Matrix<Double>([[0.1, -1e-300, .greatestFiniteMagnitude], [.nan, .infinity, -.infinity], [1, -0.0, 1.0 / 3]])
        let url = dir.appendingPathComponent("m.csv")
        try CSVTable.write(header: ["a", "b,c", "d\"e"], rows: m, to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("a,\"b,c\",\"d\"\"e\"\n0.1,-1e-300,1.7976931348623157e+308\n"), text)
        let back = try CSVTable.read(url)
        XCTAssertEqual(back.header, ["a", "b,c", "d\"e"])
        XCTAssertEqual(
            back.values.storage.map(\.bitPattern).enumerated().filter { !m.storage[$0.offset].isNaN }.map(\.element),
            m.storage.enumerated().filter { !$0.element.isNaN }.map(\.element.bitPattern))
        XCTAssertTrue(back.values[1, 0].isNaN)
        // Without a header, and via the instance method.
        let plain = CSVTable(header: nil, values: Matrix<Double>([[1, 2], [3, 4]]))
        let url2 = dir.appendingPathComponent("p.csv")
        try plain.write(to: url2)
        XCTAssertEqual(try String(contentsOf: url2, encoding: .utf8), "1.0,2.0\n3.0,4.0\n")
        XCTAssertEqual(try CSVTable.read(url2), plain)
        assertTensorIOError(["header has 1 names for 2 columns"]) {
            try CSVTable.write(header: ["a"], rows: plain.values, to: url2)
        }
    }

    func testMixedCellWriterQuotesPerRFC4180() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("mixed.csv")
        try CSVTable.write(
            header: ["name", "value", "note"],
            rows: [["fc1", "0.5", "plain"], ["relu, 2", "-1", "say \"hi\""], ["x", "", "two\nlines"]], to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, "name,value,note\nfc1,0.5,plain\n\"relu, 2\",-1,\"say \"\"hi\"\"\"\nx,,\"two\nlines\"\n")
        assertTensorIOError(["row 0 has 1 cells for 3 header names"]) {
            try CSVTable.write(header: ["a", "b", "c"], rows: [["1"]], to: url)
        }
    }
}
