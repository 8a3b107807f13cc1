/// Cuts a declaration file, as its bytes arrive, into parts that can be screened apart and in any order (by several
/// app servers), giving exactly the results of reading the whole file at once: the same records, the same unreadable
/// lines, the same line numbers.
///
/// A part ends where a record ends, found by the reader itself (`DeclarationReader.skip`), never by a rule of its own:
/// a quoted field with a line break, a malformed line and its resynchronisation, a blank line all end where the reader
/// says. A record near the end of the bytes received so far may still change when more arrive (an open quote may close
/// later), so a part is cut only after a record followed by at least `horizon` bytes, more than the reader ever looks
/// ahead of a record's start; the last part is cut when the input ends.
///
/// A CSV file's header (with its byte-order mark) is kept apart: each part is screened as the header followed by the
/// part. A JSON Lines file has no header. Memory stays at about `target + horizon` bytes whatever the file's size.
public struct DeclarationChunker {
    /// A part of the file.
    public struct Chunk: Sendable, Equatable {
        /// The file's line number of the part's first line.
        public var firstLine: Int
        public var bytes: [UInt8]
        /// The bytes that follow the part in the file, when reading the part needs them: a malformed line may be
        /// judged by what comes after it (a quote that closes further on), and the part then reads as in the whole
        /// file only with them. Empty for nearly every part.
        public var tail: [UInt8] = []
        /// Records in it.
        public var records: Int
        /// Unreadable lines in it.
        public var errors: Int

        public init(firstLine: Int, bytes: [UInt8], tail: [UInt8] = [], records: Int, errors: Int) {
            self.firstLine = firstLine
            self.bytes = bytes
            self.tail = tail
            self.records = records
            self.errors = errors
        }
    }

    /// A part is cut once it holds at least this many bytes.
    public let target: Int
    /// Bytes that must follow a record before a part may end after it: the reader's look-ahead (a record of 17 fields
    /// of 64 KiB) and a margin.
    public static var horizon: Int { DeclarationReader<MemorySource>.maximumRecordBytes + (64 << 10) }

    public private(set) var format: DeclarationReader<MemorySource>.Format?
    /// What precedes the records in every part: the CSV header row (and byte-order mark); empty for JSON Lines.
    public private(set) var header: [UInt8] = []
    /// Physical lines in `header`.
    public private(set) var headerLines = 0
    /// Records and unreadable lines in the parts cut so far.
    public private(set) var records = 0
    public private(set) var errors = 0
    /// Bytes received.
    public private(set) var receivedBytes = 0

    private var pending: [UInt8] = []
    private var pendingLine = 1
    private var started = false

    public init(target: Int = 256 << 10) { self.target = max(target, 1) }

    /// Adds bytes as they arrive; returns the parts now complete. Throws when the input as a whole is unusable (a CSV
    /// header without the required columns, say), as reading the whole file would.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws(InputError) -> [Chunk] {
        let before = pending.count
        pending.append(contentsOf: bytes)
        receivedBytes += pending.count - before
        return try cut(final: false)
    }

    /// The input has ended: returns the last parts.
    public mutating func finish() throws(InputError) -> [Chunk] { try cut(final: true) }

    /// The reader for a part, as `DeclarationReader` over the header and the part, numbering lines as in the file.
    public func reader(for chunk: Chunk) -> DeclarationReader<MemorySource> {
        Self.reader(format: format ?? .csv, header: header, headerLines: headerLines, chunk: chunk)
    }

    /// The reader for a stored part (`format`, `header` and `headerLines` as the chunker had them): the header, the
    /// part and its tail, read up to the end of the part.
    public static func reader(
        format: DeclarationReader<MemorySource>.Format, header: [UInt8], headerLines: Int, chunk: Chunk
    ) -> DeclarationReader<MemorySource> {
        var reader = DeclarationReader(
            source: MemorySource(header + chunk.bytes + chunk.tail), format: format,
            firstLine: chunk.firstLine - headerLines)
        reader.stopAt = header.count + chunk.bytes.count
        return reader
    }

    private mutating func cut(final: Bool) throws(InputError) -> [Chunk] {
        if !started {
            guard final || pending.count >= Self.horizon + 4096 else { return [] }
            try readHeader()
        }
        guard final || pending.count >= target + Self.horizon, !pending.isEmpty else { return [] }
        var reader = Self.reader(
            format: format ?? .csv, header: header, headerLines: headerLines,
            chunk: Chunk(firstLine: pendingLine, bytes: pending, records: 0, errors: 0))
        var chunks: [Chunk] = []
        var start = 0
        var startLine = pendingLine
        var seen: [DeclarationReader<MemorySource>.Skipped] = []
        func close(at end: Int, nextLine: Int) throws(InputError) {
            var chunk = Chunk(
                firstLine: startLine, bytes: Array(pending[start..<end]),
                records: seen.count { if case .record = $0 { true } else { false } },
                errors: seen.count { if case .error = $0 { true } else { false } })
            // Read alone, does the part give what the whole file gave? If not, it carries the bytes after it.
            if try Self.outcomes(of: self.reader(for: chunk)) != seen {
                chunk.tail = Array(pending[end..<min(end + Self.horizon, pending.count)])
            }
            chunks.append(chunk)
            records += chunk.records
            errors += chunk.errors
            start = end
            startLine = nextLine
            seen = []
        }
        reading: while true {
            let skipped = try reader.skip()
            if skipped == .end { break reading }
            let end = reader.consumedBytes - header.count
            // Final only when nothing after the horizon can change it: it ended at a line feed, far enough back.
            guard final || (end + Self.horizon <= pending.count && pending[end - 1] == 0x0A) else { break reading }
            seen.append(skipped)
            if end - start >= target { try close(at: end, nextLine: reader.line) }
        }
        if final {
            // The rest (the last records, trailing blank lines) is the last part.
            if start < pending.count { try close(at: pending.count, nextLine: reader.line) }
            pending = []
        } else {
            pending.removeFirst(start)
            pendingLine = startLine
        }
        return chunks
    }

    /// Every record and unreadable line a reader passes over, in order.
    static func outcomes(of reader: DeclarationReader<MemorySource>) throws(InputError)
        -> [DeclarationReader<MemorySource>.Skipped]
    {
        var reader = reader
        var out: [DeclarationReader<MemorySource>.Skipped] = []
        while true {
            let skipped = try reader.skip()
            if skipped == .end { return out }
            out.append(skipped)
        }
    }

    /// Finds the format and, for CSV, the header (checked as the reader checks it).
    private mutating func readHeader() throws(InputError) {
        started = true
        var reader = DeclarationReader(source: MemorySource(pending))
        try reader.detectFormat()
        format = reader.format
        guard reader.format == .csv else { return }
        try reader.readHeader()
        let length = reader.consumedBytes
        header = Array(pending[..<length])
        headerLines = reader.line - 1
        pendingLine = reader.line
        pending.removeFirst(length)
    }
}
