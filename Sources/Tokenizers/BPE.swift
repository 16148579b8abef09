import Foundation

/// Byte-pair encoding as tokenizer.json's `BPE` model: a piece starts as its characters and
/// the adjacent pair of lowest merge rank is joined, leftmost first, until no pair has a rank.
struct BPE: Sendable {
    let vocabulary: [String: Int]
    /// (left id, right id) → (rank, id of the joined symbol).
    let merges: [PairKey: (rank: Int, id: Int)]
    let unknown: Int?
    let fuseUnknown: Bool
    let continuingPrefix: String
    let endOfWordSuffix: String
    /// A piece that is itself in the vocabulary is that token, merges or not (Llama 3).
    let ignoreMerges: Bool
    /// Unknown characters as their UTF-8 bytes' "<0xAB>" tokens (SentencePiece's BPE).
    let byteFallback: Bool
    private let cache = PieceCache()

    struct PairKey: Hashable, Sendable {
        let left: Int32, right: Int32
    }

    init(_ json: JSONFields, vocabulary: [String: Int]) throws {
        self.vocabulary = vocabulary
        if json.values["dropout"] is NSNumber {
            throw TokenizerError(
                "\(json.source): \(json.name("dropout")): BPE dropout samples its merges at random; Loupe encodes deterministically (set it to null)"
            )
        }
        let unk = try json.optionalString("unk_token")
        if let unk {
            guard let id = vocabulary[unk] else {
                throw TokenizerError("\(json.source): \(json.name("unk_token")): \"\(unk)\" is not in model.vocab")
            }
            unknown = id
        } else {
            unknown = nil
        }
        fuseUnknown = try json.bool("fuse_unk", default: false)
        continuingPrefix = try json.optionalString("continuing_subword_prefix") ?? ""
        endOfWordSuffix = try json.optionalString("end_of_word_suffix") ?? ""
        ignoreMerges = try json.bool("ignore_merges", default: false)
        byteFallback = try json.bool("byte_fallback", default: false)

        var table: [PairKey: (rank: Int, id: Int)] = [:]
        let list = try json.list("merges")
        table.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            // "a b" (files before tokenizers 0.20) or ["a", "b"].
            let pair: [String]
            if let s = entry as? String {
                pair = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                pair = (entry as? [Any])?.compactMap { $0 as? String } ?? []
            }
            guard pair.count == 2, let a = vocabulary[pair[0]], let b = vocabulary[pair[1]] else {
                throw TokenizerError(
                    "\(json.source): \(json.name("merges"))[\(rank)]: expected two tokens of model.vocab, found \(JSONFields.kind(entry))")
            }
            let joined = pair[0] + pair[1].withoutScalarPrefix(continuingPrefix)
            guard let id = vocabulary[joined] else {
                throw TokenizerError(
                    "\(json.source): \(json.name("merges"))[\(rank)]: the merged token \"\(joined)\" is not in model.vocab")
            }
            let key = PairKey(left: Int32(a), right: Int32(b))
            table[key] = (rank, id)  // A repeated pair takes its last rank, as `tokenizers` builds its map.
        }
        merges = table
    }

    /// The ids of one piece.
    func tokenize(_ piece: String) throws -> [Int] {
        if piece.isEmpty { return [] }
        if ignoreMerges, let id = vocabulary[piece] { return [id] }
        if let hit = cache[piece] { return hit }
        let ids = merge(try symbols(piece))
        cache[piece] = ids
        return ids
    }

    /// The piece's characters as ids, the prefix on all but the first and the suffix on the last.
    private func symbols(_ piece: String) throws -> [Int] {
        var ids: [Int] = []
        let scalars = Array(piece.unicodeScalars)
        var unknownRun = false
        for (i, c) in scalars.enumerated() {
            var symbol = String(c)
            if i > 0 { symbol = continuingPrefix + symbol }
            if i == scalars.count - 1 { symbol += endOfWordSuffix }
            if let id = vocabulary[symbol] {
                ids.append(id)
                unknownRun = false
            } else if byteFallback, case let bytes = Array(String(c).utf8),
                case let fallback = bytes.compactMap({ vocabulary[String(format: "<0x%02X>", $0)] }), fallback.count == bytes.count
            {
                ids += fallback
                unknownRun = false
            } else if let unknown {
                if !(fuseUnknown && unknownRun) { ids.append(unknown) }
                unknownRun = true
            } else {
                throw TokenizerError(
                    "the character U+\(String(c.value, radix: 16, uppercase: true)) is not in the vocabulary and the model has no unk_token"
                )
            }
        }
        return ids
    }

    /// Joins the lowest-ranked adjacent pair, the leftmost of equals, until none has a rank.
    private func merge(_ start: [Int]) -> [Int] {
        var ids = start
        while ids.count > 1 {
            var best: (rank: Int, at: Int, id: Int)?
            for i in 0..<(ids.count - 1) {
                if let m = merges[PairKey(left: Int32(ids[i]), right: Int32(ids[i + 1]))], m.rank < (best?.rank ?? Int.max) {
                    best = (m.rank, i, m.id)
                }
            }
            guard let best else { break }
            ids[best.at] = best.id
            ids.remove(at: best.at + 1)
        }
        return ids
    }
}

/// Pieces already encoded: text repeats its words. Bounded, as `tokenizers`' own cache is.
final class PieceCache: @unchecked Sendable {
    private var entries: [String: [Int]] = [:]
    private let lock = NSLock()
    private let capacity = 10_000

    subscript(piece: String) -> [Int]? {
        get { lock.withLock { entries[piece] } }
        set {
            lock.withLock {
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[piece] = newValue
            }
        }
    }
}
