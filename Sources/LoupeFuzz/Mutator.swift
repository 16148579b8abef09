import Foundation
import LinAlg

/// Seeded mutations of file bytes, for fuzzing without coverage guidance (the libFuzzer build
/// of `scripts/fuzz` adds that). Besides bit flips, byte runs and splices, it writes the values
/// that break parsers and size arithmetic: boundary integers in binary, and in text numbers
/// that overflow, go negative or are not numbers at all.
struct Mutator {
    var random: SeededRandom
    let corpus: [Data]
    let maxLength: Int

    /// Numbers, as text, that a loader must refuse or handle: huge, negative, fractional, special.
    static let numbers = [
        "0", "-1", "1", "2147483648", "4294967296", "9223372036854775807", "99999999999999999999",
        "1e308", "-1e308", "1e-320", "NaN", "nan", "inf", "-0", "0.5", "1000000", "65536", "[]", "null", "{}", "\"\""
    ]
    /// Bytes for binary fields: boundary values of lengths, counts and sizes.
    static let integers: [UInt64] = [
        0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000,
        0xffff_ffff, 0x1_0000_0000, .max >> 1, .max
    ]

    mutating func mutate(_ input: Data) -> Data {
        var bytes = [UInt8](input)
        for _ in 0..<(1 + random.int(below: 4)) { apply(&bytes) }
        if bytes.count > maxLength { bytes.removeLast(bytes.count - maxLength) }
        return Data(bytes)
    }

    private mutating func apply(_ b: inout [UInt8]) {
        let at = b.isEmpty ? 0 : random.int(below: b.count)
        switch random.int(below: 9) {
        case 0 where !b.isEmpty:  // flip a bit
            b[at] ^= UInt8(1 << random.int(below: 8))
        case 1 where !b.isEmpty:  // a random byte
            b[at] = UInt8(random.int(below: 256))
        case 2 where !b.isEmpty:  // delete a run
            b.removeSubrange(at..<min(b.count, at + 1 + random.int(below: 16)))
        case 3:  // duplicate a run
            let end = min(b.count, at + 1 + random.int(below: 64))
            b.insert(contentsOf: Array(b[at..<end]), at: at)
        case 4:  // a boundary integer, little-endian, over bytes
            let v = Mutator.integers[random.int(below: Mutator.integers.count)]
            let size = [1, 2, 4, 8][random.int(below: 4)]
            for k in 0..<size where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        case 5:  // replace a run of digits (a number in text) by a hostile number
            replaceNumber(&b, near: at)
        case 6:  // insert a hostile number
            b.insert(contentsOf: Array(Mutator.numbers[random.int(below: Mutator.numbers.count)].utf8), at: at)
        case 7 where !corpus.isEmpty:  // splice another seed's tail
            let other = corpus[random.int(below: corpus.count)]
            let from = other.isEmpty ? 0 : random.int(below: other.count)
            b = Array(b[..<at]) + Array(other[(other.startIndex + from)...])
        default:  // truncate
            b.removeSubrange(at..<b.count)
        }
    }

    private mutating func replaceNumber(_ b: inout [UInt8], near at: Int) {
        func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
        guard let start = (at..<b.count).first(where: { isDigit(b[$0]) }) ?? (0..<at).last(where: { isDigit(b[$0]) }) else { return }
        var lo = start, hi = start
        while lo > 0, isDigit(b[lo - 1]) || b[lo - 1] == UInt8(ascii: "-") || b[lo - 1] == UInt8(ascii: ".") { lo -= 1 }
        while hi < b.count, isDigit(b[hi]) || b[hi] == UInt8(ascii: ".") || b[hi] == UInt8(ascii: "e") { hi += 1 }
        b.replaceSubrange(lo..<hi, with: Array(Mutator.numbers[random.int(below: Mutator.numbers.count)].utf8))
    }
}
