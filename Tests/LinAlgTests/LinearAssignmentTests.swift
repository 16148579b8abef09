import Foundation
import LinAlg
import XCTest

final class LinearAssignmentTests: XCTestCase {
    /// The best total over every injective map from the smaller side into the larger.
    func bruteForce(_ c: Matrix<Double>, maximize: Bool) -> Double {
        let transposed = c.rows > c.cols
        let m = transposed ? c.transposed() : c
        var best = maximize ? -Double.infinity : Double.infinity
        var used = [Bool](repeating: false, count: m.cols)
        func recurse(_ row: Int, _ acc: Double) {
            if row == m.rows { best = maximize ? max(best, acc) : min(best, acc); return }
            for j in 0..<m.cols where !used[j] {
                used[j] = true
                recurse(row + 1, acc + m[row, j])
                used[j] = false
            }
        }
        recurse(0, 0)
        return best
    }

    func assertValid(_ a: LinearAssignment, _ c: Matrix<Double>, file: StaticString = #filePath, line: UInt = #line) {
        let assigned = a.columnForRow.compactMap { $0 }
        XCTAssertEqual(assigned.count, min(c.rows, c.cols), "every row of the smaller side is assigned", file: file, line: line)
        XCTAssertEqual(Set(assigned).count, assigned.count, "no column used twice", file: file, line: line)
    }

    /// Dual certificate: reduced costs ≥ 0, column potentials ≤ 0, Σu + Σv = optimum.
    func assertDualCertificate(
        _ a: LinearAssignment, _ c: Matrix<Double>, maximize: Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let sign = maximize ? -1.0 : 1.0
        let transposed = c.rows > c.cols
        let scale = max(1, c.maxAbs())
        for i in 0..<c.rows {
            for j in 0..<c.cols {
                let (r, k) = transposed ? (j, i) : (i, j)
                let u = transposed ? a.columnPotentials[r] : a.rowPotentials[r]
                let v = transposed ? a.rowPotentials[k] : a.columnPotentials[k]
                XCTAssertGreaterThanOrEqual(sign * c[i, j] - u - v, -1e-9 * scale, file: file, line: line)
            }
        }
        let larger = transposed ? a.rowPotentials : a.columnPotentials
        XCTAssert(larger.allSatisfy { $0 <= 1e-9 * scale }, file: file, line: line)
        let bound = a.rowPotentials.reduce(0, +) + a.columnPotentials.reduce(0, +)
        XCTAssertEqual(bound, sign * a.cost, accuracy: 1e-9 * scale * Double(c.count), file: file, line: line)
    }

    func testEqualsBruteForceOnAllSmallShapes() throws {
        var rng = SeededRandom(seed: 3)
        for rows in 1...7 {
            for cols in 1...7 {
                for trial in 0..<3 {
                    // trial 0: continuous costs; 1: a few integer levels (many ties); 2: all equal.
                    let c: Matrix<Double> = Matrix(rows: rows, cols: cols) { _, _ in
                        trial == 0 ? rng.normal() : trial == 1 ? Double(rng.int(below: 3)) : 1
                    }
                    for maximize in [false, true] {
                        let a = try LinearAssignment(cost: c, maximize: maximize)
                        assertValid(a, c)
                        XCTAssertEqual(
                            a.cost, bruteForce(c, maximize: maximize), accuracy: 1e-9,
                            "\(rows)×\(cols) trial \(trial) maximize \(maximize)")
                        assertDualCertificate(a, c, maximize: maximize)
                    }
                }
            }
        }
    }

    func testLargerProblemsAreCertifiedOptimalByTheDual() throws {
        var rng = SeededRandom(seed: 4)
        for (rows, cols) in [(200, 200), (100, 300), (300, 120)] {
            let c: Matrix<Double> = rng.uniformMatrix(rows: rows, cols: cols, low: -5, high: 5)
            for maximize in [false, true] {
                let a = try LinearAssignment(cost: c, maximize: maximize)
                assertValid(a, c)
                assertDualCertificate(a, c, maximize: maximize)
            }
        }
    }

    func testMatchesScipyFixtures() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/linalg/assignment.json")
        struct Case: Decodable { let rows: Int; let cols: Int; let maximize: Bool; let cost: [Double]; let optimum: Double }
        struct File: Decodable { let cases: [Case] }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        XCTAssertEqual(file.cases.count, 6)
        for k in file.cases {
            let c = Matrix(rows: k.rows, cols: k.cols, storage: k.cost)
            let a = try LinearAssignment(cost: c, maximize: k.maximize)
            assertValid(a, c)
            XCTAssertEqual(a.cost, k.optimum, "\(k.rows)×\(k.cols)")
        }
    }

    func testRecoversAPlantedPermutation() throws {
        var rng = SeededRandom(seed: 5)
        let p = rng.permutation(64)
        // Similarity is 1 on the planted pairs, small noise elsewhere.
        let s: Matrix<Double> = Matrix(rows: 64, cols: 64) { i, j in p[i] == j ? 1 : 0.3 * rng.uniform() }
        XCTAssertEqual(try LinearAssignment(cost: s, maximize: true).permutation, p)
    }

    func testEmptyAndNonFinite() throws {
        XCTAssertEqual(try LinearAssignment(cost: Matrix(rows: 0, cols: 0)).columnForRow.count, 0)
        XCTAssertEqual(try LinearAssignment(cost: Matrix(rows: 3, cols: 0)).columnForRow, [nil, nil, nil])
        XCTAssertThrowsError(try LinearAssignment(cost: Matrix([[1, .nan]]))) {
            XCTAssertTrue("\($0)".contains("NaN"))
        }
    }
}
