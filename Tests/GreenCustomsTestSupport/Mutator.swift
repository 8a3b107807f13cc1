import Foundation

/// A seeded mutation fuzzer for the parsers: takes the files of a corpus kept in the repository (`Tests/Fuzz/Corpus`),
/// and makes variants of them the way damaged and hostile files differ from good ones: bytes flipped, dropped,
/// repeated or inserted, quotes, separators and line breaks where they do not belong, byte-order marks, invalid
/// UTF-8, lines spliced from other files. The seed makes a failing input reproducible.
public struct Mutator {
    public var random: SplitMix64

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// The files of the corpus folder `name` (`Tests/Fuzz/Corpus/<name>`), by file name.
    public static func corpus(_ name: String) -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/\(name)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
        return names.compactMap { file in
            (try? Data(contentsOf: folder.appendingPathComponent(file))).map { (file, [UInt8]($0)) }
        }
    }

    /// Bytes a damaged or hostile file is made of.
    static let interesting: [[UInt8]] = [
        [0x22], [0x22, 0x22], [0x2C], [0x3B], [0x09], [0x0A], [0x0D, 0x0A], [0x0D], [0xEF, 0xBB, 0xBF], [0x00],
        [0xC3], [0xC3, 0x28], [0xF0, 0x9F, 0x98], [0xFF, 0xFE], [0x7B], [0x7D], [0x5C], [0x5C, 0x75, 0x44, 0x38, 0x30, 0x30],
        Array("line_id".utf8), Array("\"\n\"".utf8), Array(String(repeating: "x", count: 70_000).utf8),
        Array("{\"line_id\":".utf8), Array("\u{202E}".utf8), Array("ع".utf8),
    ]

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(random.next() % UInt64(n)) }

    /// A variant of `input`, with 1–8 mutations, sometimes spliced with `other`.
    public mutating func mutate(_ input: [UInt8], splicing other: [UInt8] = []) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + below(8)) {
            let at = below(bytes.count + 1)
            switch below(9) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
            case 2: bytes.insert(contentsOf: Self.interesting[below(Self.interesting.count)], at: at)
            case 3 where !bytes.isEmpty:
                let start = below(bytes.count)
                let piece = bytes[start..<min(bytes.count, start + 1 + below(200))]
                bytes.insert(contentsOf: piece, at: at)
            case 4 where !other.isEmpty:
                let start = below(other.count)
                bytes.insert(contentsOf: other[start..<min(other.count, start + 1 + below(300))], at: at)
            case 5: bytes = Array(bytes.prefix(at))
            case 6 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = UInt8(truncatingIfNeeded: random.next())
            case 7:
                // A line repeated many times (a file of one kind of line).
                let lineStart = bytes[..<min(at, bytes.count)].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                let lineEnd = bytes[min(at, bytes.count)...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
                let line = Array(bytes[lineStart..<lineEnd])
                for _ in 0..<below(50) { bytes.insert(contentsOf: line, at: lineEnd) }
            default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            }
        }
        return bytes
    }
}
