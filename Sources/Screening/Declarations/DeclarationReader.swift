/// Reads declaration lines from CSV (with a header row) or JSON Lines, streaming: the input is read in chunks, so
/// memory stays constant whatever the file size. A malformed line (unbalanced quotes, bad UTF-8, too many fields, a
/// field over 64 KiB, broken JSON) becomes a `DeclarationError` with its line number and is skipped; reading goes on
/// with the next line. No byte sequence makes the reader trap.
public struct DeclarationReader<Source: ByteSource> {
    public enum Format: String, Sendable, CaseIterable {
        case csv, jsonl
    }

    /// What one call to `next` produced, in input order.
    public struct Batch: Sendable {
        public var records: [DeclarationRecord] = []
        public var errors: [DeclarationError] = []
        public var isEmpty: Bool { records.isEmpty && errors.isEmpty }
    }

    public static var maximumFieldBytes: Int { 64 * 1024 }
    /// A record longer than this cannot be valid (16 fields of 64 KiB); past it the reader resynchronises.
    static var maximumRecordBytes: Int { 17 * 64 * 1024 }

    var source: Source
    public private(set) var format: Format?
    var buffer: [UInt8] = []
    var position = 0
    /// Bytes dropped from the front of `buffer` so far: `discarded + position` is how far into the input reading is.
    var discarded = 0
    /// The line number of the next record's first line.
    public internal(set) var line = 1
    var atEnd = false
    let chunkSize: Int
    /// For CSV: the declaration field of each column position, nil for unknown columns.
    var columns: [DeclarationField?] = [] {
        didSet { columnFields = columns.map { $0.map { Int8($0.rawValue) } ?? -1 } }
    }
    /// `columns` as raw values, -1 for unknown columns (read in the hot loop).
    var columnFields: [Int8] = []
    var headerRead = false
    /// Whether ordinary CSV records take `scanPlainRecord` (off only in tests, which check both ways agree).
    var plainRecords = true

    /// `firstLine`: the line number of the input's first line, for a part of a larger file (`DeclarationChunker`);
    /// a CSV part is the file's header followed by the part, so `firstLine` is the part's first line less the
    /// header's lines.
    public init(source: Source, format: Format? = nil, chunkSize: Int = 1 << 20, firstLine: Int = 1) {
        self.source = source
        self.format = format
        self.chunkSize = max(chunkSize, 16)
        self.line = firstLine
    }

    /// How many bytes of the input have been read as records (or skipped as errors and blank lines) so far.
    public var consumedBytes: Int { discarded + position }

    /// Where reading stops: once this many bytes of the input are consumed, `next` returns nothing more. The bytes
    /// after it are still there for the reader to look ahead into, as it does when reading the whole file (a part
    /// of a file cut by `DeclarationChunker` is read with the start of the next part after it).
    public var stopAt: Int?

    /// The CSV columns recognised, in file order (after the first `next`).
    public var recognisedColumns: [DeclarationField] { columns.compactMap { $0 } }

    /// A batch's CSV records share one buffer, so a record costs no allocation of its own; the batch ends early once
    /// the buffer holds this many bytes.
    static var batchBufferBytes: Int { 1 << 20 }

    /// Reads up to `maximum` records (and the errors met on the way). An empty batch means the end of the input.
    ///
    /// CSV records of one batch share one byte buffer (`DeclarationRecord.bytes`), each with its own field ranges.
    public mutating func next(maximum: Int = 4096) throws(InputError) -> Batch {
        var batch = Batch()
        if format == nil { try detectFormat() }
        if format == .csv && !headerRead { try readHeader() }
        var shared: [UInt8] = []
        var ranges = FieldRanges()
        if format == .csv {
            shared.reserveCapacity(min(Self.batchBufferBytes, maximum * 256) + 1024)
            batch.records.reserveCapacity(min(maximum, 1 << 16))
        }
        reading: while batch.records.count < maximum && shared.count < Self.batchBufferBytes {
            if let stop = stopAt, consumedBytes >= stop { break reading }
            let outcome: Outcome
            switch format {
            case .jsonl: outcome = try parseJSONLine()
            default: outcome = try parseCSV(keepAll: false, into: &shared, ranges: &ranges)
            }
            switch outcome {
            case .record(let record): batch.records.append(record)
            case .placed(let line): batch.records.append(DeclarationRecord(lineNumber: line, bytes: [], ranges: ranges))
            case .error(let error): batch.errors.append(error)
            case .end: break reading
            case .header: continue  // only `readHeader` asks for one
            }
        }
        // The buffer is complete: every CSV record of the batch refers to it.
        if format != .jsonl {
            for k in batch.records.indices { batch.records[k].bytes = shared }
        }
        return batch
    }

    /// What `skip` passed over.
    enum Skipped: Equatable {
        case record(line: Int)
        case error(DeclarationError)
        case end
    }

    /// Reads the next record (or unreadable line) and throws it away: how `DeclarationChunker` finds where records end
    /// exactly as reading them would.
    mutating func skip() throws(InputError) -> Skipped {
        if format == nil { try detectFormat() }
        if format == .csv && !headerRead { try readHeader() }
        if let stop = stopAt, consumedBytes >= stop { return .end }
        var scratch: [UInt8] = []
        var ranges = FieldRanges()
        let outcome = format == .jsonl ? try parseJSONLine() : try parseCSV(keepAll: false, into: &scratch, ranges: &ranges)
        switch outcome {
        case .record(let record): return .record(line: record.lineNumber)
        case .placed(let line): return .record(line: line)
        case .error(let error): return .error(error)
        case .end, .header: return .end
        }
    }

    enum Outcome {
        case record(DeclarationRecord)
        /// A CSV record appended to the batch's shared buffer: its first line (where its fields lie there is in
        /// the `ranges` that `parseCSV` filled).
        case placed(line: Int)
        /// The CSV header: one range per column in the bytes it was read into.
        case header(columns: [Range<Int32>])
        case error(DeclarationError)
        case end
    }

    // MARK: Buffering

    /// Makes sure at least `count` bytes after `position` are buffered, unless the input ends first.
    mutating func fill(_ count: Int) throws(InputError) {
        while buffer.count - position < count && !atEnd {
            if position > 0 && position >= buffer.count / 2 {
                buffer.removeFirst(position)
                discarded += position
                position = 0
            }
            if try source.read(into: &buffer, count: chunkSize) == 0 { atEnd = true }
        }
    }

    mutating func detectFormat() throws(InputError) {
        try fill(4096)
        var i = position
        if buffer.count - i >= 3, buffer[i] == 0xEF, buffer[i + 1] == 0xBB, buffer[i + 2] == 0xBF { i += 3 }
        while i < buffer.count, buffer[i] == 0x20 || buffer[i] == 0x0A || buffer[i] == 0x0D || buffer[i] == 0x09 {
            i += 1
        }
        format = i < buffer.count && buffer[i] == UInt8(ascii: "{") ? .jsonl : .csv
    }

    mutating func skipByteOrderMark() throws(InputError) {
        try fill(3)
        if buffer.count - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB,
            buffer[position + 2] == 0xBF
        {
            position += 3
        }
    }

    mutating func readHeader() throws(InputError) {
        headerRead = true
        try skipByteOrderMark()
        columns = []
        var bytes: [UInt8] = []
        var unused = FieldRanges()
        switch try parseCSV(keepAll: true, into: &bytes, ranges: &unused) {
        case .end: throw InputError("the input is empty: a CSV file starts with a header row")
        case .error(let error): throw InputError("the header row is malformed (\(error.message))")
        case .record, .placed: preconditionFailure("parseCSV(keepAll: true) returns the header")
        case .header(let ranges):
            var seen = Set<DeclarationField>()
            for range in ranges {
                let name = String(decoding: bytes[Int(range.lowerBound)..<Int(range.upperBound)], as: UTF8.self)
                let field = DeclarationField(columnName: name)
                if let field, seen.contains(field) { throw InputError("the header names column \(field.name) twice") }
                if let field { seen.insert(field) }
                columns.append(field)
            }
            var missing: [String] = []
            if !seen.contains(.lineID) { missing.append("line_id") }
            if seen.isDisjoint(with: DeclarationField.evidence) {
                missing.append("one of " + DeclarationField.evidence.map(\.name).joined(separator: ", "))
            }
            if !missing.isEmpty {
                throw InputError("the header lacks required column(s): \(missing.joined(separator: "; "))")
            }
        }
    }

    /// Skips the rest of the physical line that starts at `start` (after an error), counting it.
    mutating func resynchronise(from start: Int, lineNumber: Int) throws(InputError) {
        var i = start
        while true {
            while i < buffer.count, buffer[i] != 0x0A { i += 1 }
            if i < buffer.count || atEnd { break }
            let offset = i - position
            try fill(offset + chunkSize)
            i = position + offset
        }
        position = min(i + 1, buffer.count)
        line = lineNumber + 1
    }

    // MARK: CSV

    /// Reads one CSV record, appending the bytes of its known fields to `out` (all fields for the header). On an
    /// error `out` is left as it was.
    mutating func parseCSV(keepAll: Bool, into out: inout [UInt8], ranges: inout FieldRanges) throws(InputError)
        -> Outcome
    {
        while true {
            try fill(1)
            guard position < buffer.count else { return .end }
            // Blank lines are not records.
            if buffer[position] == 0x0A {
                position += 1
                line += 1
                continue
            }
            if buffer[position] == 0x0D, position + 1 < buffer.count, buffer[position + 1] == 0x0A {
                position += 2
                line += 1
                continue
            }
            break
        }
        let startLine = line
        let recordStart = out.count
        while true {
            let result = scanCSVRecord(from: position, keepAll: keepAll, into: &out, ranges: &ranges)
            switch result {
            case .complete(let headerRanges, let end, let newlines, let fieldCount, let badField, let whole):
                position = end
                line += newlines
                var problem = badField
                if problem == nil, !keepAll, fieldCount > columns.count {
                    problem = "has \(fieldCount) fields, the header has \(columns.count)"
                }
                // Each known field must be UTF-8 (the bytes of unknown columns are not read). A record copied whole
                // (`scanPlainRecord`) that is UTF-8 throughout has UTF-8 fields, since its fields are cut at ASCII
                // bytes; only a record with a bad byte somewhere needs each field checked.
                if problem == nil,
                    keepAll
                        ? !UTF8Validation.isValid(out, from: recordStart)
                        : !((whole && UTF8Validation.isValid(out, from: recordStart))
                            || UTF8Validation.isValid(out, fields: ranges))
                {
                    problem = "is not valid UTF-8"
                }
                if let problem {
                    out.removeSubrange(recordStart...)
                    return .error(DeclarationError(lineNumber: startLine, message: problem))
                }
                if keepAll { return .header(columns: headerRanges) }
                return .placed(line: startLine)
            case .needMore:
                out.removeSubrange(recordStart...)
                if buffer.count - position > Self.maximumRecordBytes {
                    try resynchronise(from: position, lineNumber: startLine)
                    return .error(
                        DeclarationError(
                            lineNumber: startLine, message: "has an unbalanced quote or is over 1 MiB long"))
                }
                try fill(buffer.count - position + chunkSize)
            case .malformed(let message):
                out.removeSubrange(recordStart...)
                try resynchronise(from: position, lineNumber: startLine)
                return .error(DeclarationError(lineNumber: startLine, message: message))
            }
        }
    }

    enum Scan {
        /// `whole`: the record's bytes were copied whole, separators and unknown columns included.
        case complete(
            header: [Range<Int32>], end: Int, newlines: Int, fieldCount: Int, badField: String?,
            whole: Bool = false)
        case needMore
        case malformed(String)
    }

    /// Scans one CSV record starting at `start`, appending to `out` the unescaped bytes of known columns (or of every
    /// column for the header); the ranges it returns are offsets in `out`. A record is complete at a line feed
    /// outside quotes, or at the end of the input; otherwise `out` may hold part of it, for the caller to drop.
    ///
    /// The hot loop of screening: runs of ordinary bytes are found with a tight scan and copied in one go; there
    /// are no closures or per-byte appends.
    func scanCSVRecord(from start: Int, keepAll: Bool, into out: inout [UInt8], ranges: inout FieldRanges) -> Scan {
        ranges = FieldRanges()
        if !keepAll, plainRecords, let plain = scanPlainRecord(from: start, into: &out, ranges: &ranges) {
            return plain
        }
        ranges = FieldRanges()
        let columnCount = columns.count
        var headerRanges: [Range<Int32>] = []
        var fieldIndex = 0
        var fieldStart = out.count
        var fieldLength = 0
        var inQuotes = false
        var afterQuote = false
        var newlines = 0
        var badField: String?
        let atEnd = self.atEnd
        let maximumField = Self.maximumFieldBytes
        let columns = self.columns

        return buffer.withUnsafeBufferPointer { buf -> Scan in
            let end = buf.count
            var keeping = keepAll || (columnCount > 0 && columns[0] != nil)
            var i = start
            while i < end {
                if inQuotes {
                    // Copy up to the next quote.
                    var j = i
                    while j < end && buf[j] != 0x22 {
                        if buf[j] == 0x0A { newlines += 1 }
                        j += 1
                    }
                    if keeping && j > i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j])) }
                    fieldLength += j - i
                    if fieldLength > maximumField {
                        return .malformed("field \(fieldIndex + 1) is over 64 KiB (or its quote is never closed)")
                    }
                    if j == end { break }
                    // A quote: doubled, or closing.
                    if j + 1 < end {
                        if buf[j + 1] == 0x22 {
                            if keeping { out.append(0x22) }
                            fieldLength += 1
                            i = j + 2
                            continue
                        }
                    } else if !atEnd {
                        return .needMore
                    }
                    inQuotes = false
                    afterQuote = true
                    i = j + 1
                    continue
                }
                // Unquoted: copy the run of ordinary bytes.
                var j = i
                while j < end {
                    let c = buf[j]
                    if c == 0x2C || c == 0x0A || c == 0x22 || c == 0x0D { break }
                    j += 1
                }
                if j > i {
                    if afterQuote {
                        for k in i..<j where buf[k] != 0x20 && buf[k] != 0x09 {
                            return .malformed("field \(fieldIndex + 1) has text after its closing quote")
                        }
                    } else {
                        if keeping { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j])) }
                        fieldLength += j - i
                        if fieldLength > maximumField, badField == nil {
                            badField = "field \(fieldIndex + 1) is over 64 KiB"
                        }
                    }
                    i = j
                    if i == end { break }
                }
                let c = buf[i]
                if c == 0x2C || c == 0x0A {
                    // End of a field.
                    if keepAll {
                        headerRanges.append(Int32(fieldStart)..<Int32(out.count))
                    } else if fieldIndex < columnCount, let field = columns[fieldIndex] {
                        ranges[field.rawValue] = Int32(fieldStart)..<Int32(out.count)
                    }
                    fieldIndex += 1
                    fieldStart = out.count
                    fieldLength = 0
                    afterQuote = false
                    keeping = keepAll || (fieldIndex < columnCount && columns[fieldIndex] != nil)
                    if c == 0x0A {
                        return .complete(
                            header: headerRanges, end: i + 1, newlines: newlines + 1,
                            fieldCount: fieldIndex, badField: badField)
                    }
                    i += 1
                } else if c == 0x22 {
                    if fieldLength == 0 && !afterQuote {
                        inQuotes = true
                    } else if afterQuote {
                        return .malformed("field \(fieldIndex + 1) has a quote after its closing quote")
                    } else {
                        // A quote inside an unquoted field (12" pipe) is kept as a character.
                        if keeping { out.append(c) }
                        fieldLength += 1
                    }
                    i += 1
                } else {  // CR: dropped before a line feed or at the end; otherwise kept as a character
                    if i + 1 == end && !atEnd { return .needMore }
                    if !(i + 1 == end || buf[i + 1] == 0x0A) {
                        if afterQuote { return .malformed("field \(fieldIndex + 1) has text after its closing quote") }
                        if keeping { out.append(c) }
                        fieldLength += 1
                    }
                    i += 1
                }
            }
            if !atEnd { return .needMore }
            if inQuotes { return .malformed("field \(fieldIndex + 1) opens a quote that is never closed") }
            if keepAll {
                headerRanges.append(Int32(fieldStart)..<Int32(out.count))
            } else if fieldIndex < columnCount, let field = columns[fieldIndex] {
                ranges[field.rawValue] = Int32(fieldStart)..<Int32(out.count)
            }
            return .complete(
                header: headerRanges, end: end, newlines: 0, fieldCount: fieldIndex + 1,
                badField: badField)
        }
    }

    /// The common case, fast: a record whose quoted fields (if any) hold no doubled quote, found eight bytes at a
    /// time and copied in one piece. Field ranges point inside it (past the quotes of quoted fields; the bytes of
    /// unknown columns come along). Nil for anything unusual (a doubled quote, a quote inside an unquoted field,
    /// text after a closing quote, a field over 64 KiB, an unclosed quote at the end), which `scanCSVRecord` then
    /// reads byte by byte, with its exact errors.
    func scanPlainRecord(from start: Int, into out: inout [UInt8], ranges: inout FieldRanges) -> Scan? {
        let base = out.count - start
        let columnFields = self.columnFields
        let maximumField = Self.maximumFieldBytes
        let atEnd = self.atEnd
        return buffer.withUnsafeBufferPointer { buf -> Scan? in
            let end = buf.count
            guard let p = buf.baseAddress, start < end else { return nil }
            var fieldIndex = 0
            var newlines = 0
            var i = start
            while true {
                var fieldStart = i
                var fieldEnd: Int
                var j: Int
                if i < end && p[i] == 0x22 {
                    // A quoted field: up to the closing quote, counting line feeds inside it.
                    var q = i + 1
                    while true {
                        q = Self.nextQuoteOrLineFeed(p, from: q, to: end)
                        guard q < end else { return atEnd ? nil : .needMore }
                        if p[q] == 0x0A {
                            newlines += 1
                            q += 1
                            continue
                        }
                        break
                    }
                    if q + 1 == end && !atEnd { return .needMore }
                    j = q + 1
                    if j < end && p[j] != 0x2C && p[j] != 0x0A && !(p[j] == 0x0D && j + 1 < end && p[j + 1] == 0x0A) {
                        return nil
                    }
                    if j < end && p[j] == 0x0D { j += 1 }
                    fieldStart = i + 1
                    fieldEnd = q
                } else {
                    j = Self.nextDelimiter(p, from: i, to: end)
                    if j == end && !atEnd { return .needMore }
                    if j < end && p[j] == 0x22 { return nil }
                    fieldEnd = j
                    // A carriage return before the line feed (or at the very end) is not part of the last field.
                    if (j == end || p[j] == 0x0A) && fieldEnd > fieldStart && p[fieldEnd - 1] == 0x0D { fieldEnd -= 1 }
                }
                if fieldEnd - fieldStart > maximumField { return nil }
                if fieldIndex < columnFields.count, case let field = Int(columnFields[fieldIndex]), field >= 0 {
                    ranges[field] = Int32(base + fieldStart)..<Int32(base + fieldEnd)
                }
                fieldIndex += 1
                if j == end || p[j] == 0x0A {
                    // The copy ends with the last field's bytes (or its closing quote).
                    var copyEnd = j
                    if copyEnd > start && p[copyEnd - 1] == 0x0D { copyEnd -= 1 }
                    copyEnd = max(copyEnd, fieldEnd)
                    out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: copyEnd - start))
                    return .complete(
                        header: [], end: j == end ? end : j + 1,
                        newlines: newlines + (j == end ? 0 : 1), fieldCount: fieldIndex, badField: nil, whole: true)
                }
                i = j + 1
            }
        }
    }

    /// The position of the first byte of `p[from..<to]` that is `a`, `b` or `c`, or `to`: eight bytes at a time, with
    /// the zero-byte test on the word XORed with each delimiter.
    @inline(__always)
    static func first(_ a: UInt8, _ b: UInt8, _ c: UInt8, in p: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        var i = from
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let found =
                zeroBytes(w ^ (ones &* UInt64(a))) | zeroBytes(w ^ (ones &* UInt64(b)))
                | zeroBytes(w ^ (ones &* UInt64(c)))
            if found != 0 { return i + found.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < end && p[i] != a && p[i] != b && p[i] != c { i += 1 }
        return i
    }

    /// The first comma, line feed or quote.
    @inline(__always)
    static func nextDelimiter(_ p: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        first(0x2C, 0x0A, 0x22, in: p, from: from, to: end)
    }

    /// The first quote or line feed.
    @inline(__always)
    static func nextQuoteOrLineFeed(_ p: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        first(0x22, 0x0A, 0x0A, in: p, from: from, to: end)
    }

    // MARK: JSON Lines

    mutating func parseJSONLine() throws(InputError) -> Outcome {
        while true {
            // Find a whole physical line.
            var i = position
            while true {
                while i < buffer.count, buffer[i] != 0x0A { i += 1 }
                if i < buffer.count || atEnd { break }
                if i - position > Self.maximumRecordBytes {
                    let startLine = line
                    try resynchronise(from: i, lineNumber: startLine)
                    return .error(DeclarationError(lineNumber: startLine, message: "is over 1 MiB long"))
                }
                let offset = i - position
                try fill(offset + chunkSize)
                i = position + offset
            }
            guard position < buffer.count else { return .end }
            let startLine = line
            let lineStart = position
            let lineEnd = i
            position = min(i + 1, buffer.count)
            line += 1
            var parser = JSONLineParser(bytes: buffer, start: lineStart, end: lineEnd)
            if parser.isBlank { continue }
            switch parser.parse() {
            case .success(let (bytes, ranges)):
                let record = DeclarationRecord(lineNumber: startLine, bytes: bytes, ranges: ranges)
                // A JSON line has no header to check once: each line must carry what a CSV header must name.
                if !record.has(.lineID) {
                    return .error(DeclarationError(lineNumber: startLine, message: "line_id is missing"))
                }
                if !DeclarationField.evidence.contains(where: record.has) {
                    return .error(
                        DeclarationError(
                            lineNumber: startLine,
                            message: "has none of " + DeclarationField.evidence.map(\.name).joined(separator: ", ")))
                }
                return .record(record)
            case .failure(let message):
                return .error(DeclarationError(lineNumber: startLine, message: message.text))
            }
        }
    }
}

/// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), ASCII fast path first.
enum UTF8Validation {
    /// Whether each of the record's fields in `bytes` is well-formed.
    static func isValid(_ bytes: [UInt8], fields: FieldRanges) -> Bool {
        for k in 0..<DeclarationField.allCases.count {
            let range = fields[k]
            if !range.isEmpty && !isValid(bytes, from: Int(range.lowerBound), to: Int(range.upperBound)) {
                return false
            }
        }
        return true
    }

    static func isValid(_ bytes: [UInt8], from start: Int = 0, to stop: Int? = nil) -> Bool {
        bytes.withUnsafeBufferPointer { buf in
            var i = start
            let n = stop ?? buf.count
            guard let base = buf.baseAddress else { return true }
            let raw = UnsafeRawPointer(base)
            while i < n {
                // Eight ASCII bytes at a time.
                if i + 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
                let b = buf[i]
                if b < 0x80 {
                    i += 1
                    continue
                }
                let need: Int
                var minimum: UInt32
                var scalar: UInt32
                switch b {
                case 0xC2...0xDF: need = 1; minimum = 0x80; scalar = UInt32(b & 0x1F)
                case 0xE0...0xEF: need = 2; minimum = 0x800; scalar = UInt32(b & 0x0F)
                case 0xF0...0xF4: need = 3; minimum = 0x10000; scalar = UInt32(b & 0x07)
                default: return false
                }
                for k in 1...need {
                    guard i + k < n else { return false }
                    let c = buf[i + k]
                    guard c & 0xC0 == 0x80 else { return false }
                    scalar = scalar << 6 | UInt32(c & 0x3F)
                }
                guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return false }
                i += need + 1
            }
            return true
        }
    }
}
