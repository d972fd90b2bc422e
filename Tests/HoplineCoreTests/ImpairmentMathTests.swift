import Foundation
@testable import HoplineCore
import XCTest

/// The pure-Swift elementary functions behind the impairment model, against the C library's.
final class ImpairmentMathTests: XCTestCase {
    func testLogMatchesTheCLibrary() {
        var x = 1e-17
        while x < 1e6 {
            XCTAssertEqual(ImpairmentMath.log(x), Foundation.log(x), accuracy: 4e-16 * max(1, abs(Foundation.log(x))), "log(\(x))")
            x *= 1.37
        }
        XCTAssertEqual(ImpairmentMath.log(1), 0)
    }

    /// Within 1e-15 relative (4.5 ulp); measured up to 4.2e-16 (2 ulp).
    func testExpMatchesTheCLibrary() {
        var x = -40.0
        while x < 40 {
            XCTAssertEqual(ImpairmentMath.exp(x), Foundation.exp(x), accuracy: 1e-15 * Foundation.exp(x), "exp(\(x))")
            x += 0.173
        }
    }

    func testInverseNormalCDFInvertsTheCDF() {
        // Acklam's approximation: relative error below 1.15e-9 in x, so the CDF misses p by at most
        // 1.15e-9 |x| phi(x) (phi: the normal density at x), plus rounding.
        for p in [1e-15, 1e-9, 1e-4, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.99, 1 - 1e-6] {
            let x = ImpairmentMath.inverseNormalCDF(p)
            let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
            let density = Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
            XCTAssertEqual(cdf, p, accuracy: 1.2e-9 * abs(x) * density + 1e-15, "p = \(p)")
        }
        XCTAssertEqual(ImpairmentMath.inverseNormalCDF(0.5), 0)
        XCTAssertEqual(ImpairmentMath.inverseNormalCDF(0.975), 1.959964, accuracy: 1e-6)
    }

    func testRandomStreamsAreReproducibleAndIndependent() {
        var a = ImpairmentRandom(seed: 42, stream: 0)
        var b = ImpairmentRandom(seed: 42, stream: 0)
        var c = ImpairmentRandom(seed: 42, stream: 1)
        let first = (0..<100).map { _ in a.next() }
        XCTAssertEqual((0..<100).map { _ in b.next() }, first)
        XCTAssertNotEqual((0..<100).map { _ in c.next() }, first)
        XCTAssertEqual(ImpairmentRandom.openUnit(0), 0x1.0p-53)
        XCTAssertEqual(ImpairmentRandom.openUnit(.max), 1 - 0x1.0p-53)
        XCTAssertLessThan(ImpairmentRandom.openUnit(.max), 1)
        XCTAssertTrue(ImpairmentMath.inverseNormalCDF(ImpairmentRandom.openUnit(.max)).isFinite)
        var unit = ImpairmentRandom(seed: 0, stream: 0)
        for _ in 0..<10_000 {
            let value = unit.unitOpen()
            XCTAssertTrue(value > 0 && value < 1)
        }
    }
}
