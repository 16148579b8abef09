import Foundation
import Networks
import XCTest

/// `Optimizer.resetState(in:)`: the reset parameters continue as if their moment estimates
/// had just started (at the optimiser's current step), the others as before.
final class OptimizerResetTests: XCTestCase {
    func testAdamAfterResetStartsItsMomentsAfresh() {
        let lr = 0.1, (b1, b2, eps) = (0.9, 0.999, 1e-8)
        var optimizer = Optimizer(.adam(learningRate: lr), parameterCount: 2)
        var twin = Optimizer(.adam(learningRate: lr), parameterCount: 2)
        var theta: [Float] = [1, 1], twinTheta: [Float] = [1, 1]
        for g in [[Float(0.5), 0.5], [-2, -2], [1, 1]] {
            optimizer.update(&theta, gradient: g)
            twin.update(&twinTheta, gradient: g)
        }
        optimizer.resetState(in: 0..<1)
        let before = theta
        optimizer.update(&theta, gradient: [3, 3])
        twin.update(&twinTheta, gradient: [3, 3])
        // Step 4 from zero moments: m = (1 − β1)g, v = (1 − β2)g², bias-corrected with step 4.
        let (m, v) = ((1 - b1) * 3, (1 - b2) * 9)
        let c1 = 1 - pow(b1, 4), c2 = 1 - pow(b2, 4)
        let expected = Double(before[0]) - lr / c1 * m / ((v / c2).squareRoot() + eps)
        XCTAssertEqual(Double(theta[0]), expected, accuracy: 1e-6)
        // The other parameter kept its history.
        XCTAssertEqual(theta[1], twinTheta[1])
        XCTAssertNotEqual(theta[0], twinTheta[0])
    }
}
