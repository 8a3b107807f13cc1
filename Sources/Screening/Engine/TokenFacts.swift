/// What the engine's tables know about one word, as bits: the low byte is the word's context classes
/// (`ContextRules.Cue`), the bits above say which tables hold it. A line's words are classified once, through a
/// small per-thread cache, so the large tables (hundreds of thousands of names, far bigger than the processor's
/// caches) are only probed for words that can match.
enum TokenFacts {
    static let cueMask: UInt32 = 0xFF
    /// A one-word name.
    static let singleName: UInt32 = 1 << 8
    /// The first word of a name of several words.
    static let firstOfName: UInt32 = 1 << 9
    /// The genus of a listed species.
    static let genus: UInt32 = 1 << 10
    /// The epithet of a listed species.
    static let epithet: UInt32 = 1 << 11
    /// A genus covered by a listed higher taxon.
    static let coveredGenus: UInt32 = 1 << 12
    /// A genus without its last letter ("Pytho").
    static let genusMinusLast: UInt32 = 1 << 13
    /// A genus with one more letter ("Pythonr").
    static let genusPlusOne: UInt32 = 1 << 14
    /// A long word that starts with a genus ("Pythonregius").
    static let startsWithGenus: UInt32 = 1 << 15
}

/// A direct-mapped cache of word facts by the word's exact hash, one per thread (in `ScreeningEngine.Scratch`).
/// Words of customs descriptions follow Zipf's law: a few thousand words make nearly all of them.
struct TokenFactCache {
    static let size = 16384
    private var keys = [UInt64](repeating: 0, count: TokenFactCache.size)
    private var values = [UInt32](repeating: 0, count: TokenFactCache.size)

    @inline(__always)
    mutating func facts(_ key: UInt64, compute: () -> UInt32) -> UInt32 {
        let slot = Int(truncatingIfNeeded: key >> 50) & (Self.size - 1)
        if keys[slot] == key { return values[slot] }
        let value = compute()
        keys[slot] = key
        values[slot] = value
        return value
    }
}
