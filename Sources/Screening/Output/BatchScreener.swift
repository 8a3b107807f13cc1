import Foundation
import GreenCustomsCore

/// What a screening run did, for the summary on standard error or in `--summary FILE`.
public struct ScreeningSummary: Sendable, Equatable {
    /// Lines screened (results written).
    public var lines = 0
    /// Lines that could not be read and were skipped.
    public var errors = 0
    public var lanes: [Lane: Int] = [:]
    /// Lines with a certain or likely finding, by regime.
    public var hitsByRegime: [Regime: Int] = [:]
    /// Lines with only possible findings.
    public var possibleOnly = 0
    public var flags: [String: Int] = [:]
    /// Seconds from start to the engine being ready (reference loading and indexing), when the caller measured it.
    public var startupSeconds: Double?
    /// The part of start-up spent building the engine's indexes, when measured.
    public var indexSeconds: Double?
    /// Seconds in all, start-up included when measured.
    public var seconds = 0.0
    public var referenceVersion = ""

    public init() {}

    /// Counts one result in.
    public mutating func add(_ r: ScreeningResult) {
        lines += 1
        lanes[r.lane, default: 0] += 1
        var regimes: [Regime] = []
        for k in r.findings.indices where r.findings[k].certainty >= .likely && !regimes.contains(r.findings[k].regime)
        {
            regimes.append(r.findings[k].regime)
        }
        for regime in regimes { hitsByRegime[regime, default: 0] += 1 }
        if regimes.isEmpty && !r.findings.isEmpty { possibleOnly += 1 }
        for k in r.flags.indices { flagCounts[Self.flagIndex[r.flags[k].code]!] += 1 }
    }

    /// Flags counted by code while screening (cheaper than `flags`, which is keyed by the code's text); folded
    /// into `flags` when batches are merged.
    var flagCounts = [Int](repeating: 0, count: Flag.Code.allCases.count)
    static let flagIndex = Dictionary(uniqueKeysWithValues: Flag.Code.allCases.enumerated().map { ($1, $0) })

    /// `flagCounts` moved into `flags`; call it before reading `flags` of a summary built with `add`.
    public mutating func foldFlags() {
        for (k, code) in Flag.Code.allCases.enumerated() where flagCounts[k] > 0 {
            flags[code.rawValue, default: 0] += flagCounts[k]
            flagCounts[k] = 0
        }
    }

    /// A summary read back from its `json` (the counts; timings and version are the caller's to set). Nil for text
    /// that is not such an object.
    public init?(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        func counts(_ key: String) -> [String: Int] { object[key] as? [String: Int] ?? [:] }
        lines = object["lines"] as? Int ?? 0
        errors = object["errors"] as? Int ?? 0
        possibleOnly = object["possible_only"] as? Int ?? 0
        for (key, value) in counts("lanes") { if let lane = Lane(rawValue: key) { lanes[lane] = value } }
        for (key, value) in counts("hits_by_regime") {
            if let regime = Regime(rawValue: key) { hitsByRegime[regime] = value }
        }
        flags = counts("flags")
    }

    /// Adds another run's counts (a part of the same file screened apart).
    public mutating func merge(_ other: ScreeningSummary) {
        var other = other
        other.foldFlags()
        lines += other.lines
        errors += other.errors
        possibleOnly += other.possibleOnly
        for (k, v) in other.lanes { lanes[k, default: 0] += v }
        for (k, v) in other.hitsByRegime { hitsByRegime[k, default: 0] += v }
        for (k, v) in other.flags { flags[k, default: 0] += v }
    }

    /// Lines per second.
    public var throughput: Double { seconds > 0 ? Double(lines + errors) / seconds : 0 }

    /// The summary for people, several lines.
    public var text: String {
        var s =
            "screened \(lines) line(s), \(errors) unreadable line(s) skipped, in \(String(format: "%.2f", seconds)) s"
        s += " (\(Int(throughput)) lines/s"
        if let startupSeconds {
            s += "; start-up \(String(format: "%.2f", startupSeconds)) s"
            if let indexSeconds { s += ", of which indexing \(String(format: "%.2f", indexSeconds)) s" }
        }
        s += ")\n"
        s +=
            "lanes: " + Lane.allCases.reversed().map { "\($0.rawValue) \(lanes[$0] ?? 0)" }.joined(separator: ", ")
            + "\n"
        s += "lines with certain or likely findings, by regime: "
        s += Regime.allCases.map { "\($0.rawValue) \(hitsByRegime[$0] ?? 0)" }.joined(separator: ", ") + "\n"
        s += "lines with possible findings only: \(possibleOnly)\n"
        if !flags.isEmpty {
            s += "flags: " + flags.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            s += "\n"
        }
        s += "reference version: \(referenceVersion)\n"
        return s
    }

    /// The summary as one JSON object, keys in a fixed order.
    public var json: String {
        func object(_ pairs: [(String, Int)]) -> String {
            "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        }
        var s = "{\"lines\":\(lines),\"errors\":\(errors),"
        s += "\"lanes\":" + object(Lane.allCases.map { ($0.rawValue, lanes[$0] ?? 0) }) + ","
        s += "\"hits_by_regime\":" + object(Regime.allCases.map { ($0.rawValue, hitsByRegime[$0] ?? 0) }) + ","
        s += "\"possible_only\":\(possibleOnly),"
        s += "\"flags\":" + object(flags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) + ","
        s += "\"seconds\":\(String(format: "%.3f", seconds)),\"lines_per_second\":\(Int(throughput)),"
        if let startupSeconds { s += "\"startup_seconds\":\(String(format: "%.3f", startupSeconds))," }
        if let indexSeconds { s += "\"index_seconds\":\(String(format: "%.3f", indexSeconds))," }
        var version: [UInt8] = []
        ResultWriter.string(referenceVersion, into: &version)
        s += "\"reference_version\":" + String(decoding: version, as: UTF8.self) + "}"
        return s
    }
}

/// Screens a whole input on several threads: one reads and parses, the others screen and encode, and the results
/// are written in input order, so the output is the same whatever the number of threads. Memory stays bounded: at
/// most a few batches per thread are in flight.
public struct BatchScreener: Sendable {
    public let engine: ScreeningEngine
    public let format: ResultFormat
    public let threads: Int
    public let batchSize: Int
    /// Slots and byte budget of each thread's memo (see `EvidenceMemo`).
    var memoSlots = EvidenceMemo.defaultSlots
    var memoBudget = EvidenceMemo.defaultBudget

    public init(engine: ScreeningEngine, format: ResultFormat, threads: Int, batchSize: Int = 2048) {
        self.engine = engine
        self.format = format
        self.threads = max(1, threads)
        self.batchSize = max(1, batchSize)
    }

    /// Screens everything `source` holds. `write` gets output bytes in order; `reportError` gets each unreadable
    /// line in order. Throws only when the input as a whole is unusable (cannot be read, no usable header).
    public func run<Source: ByteSource & Sendable>(
        _ source: Source, inputFormat: DeclarationReader<Source>.Format? = nil,
        write: (UnsafeRawBufferPointer) -> Void, reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        try screenAll(source, inputFormat: inputFormat, write: write, reportError: reportError)
    }

    /// `run` for a file or standard input. The same, compiled for `FileDescriptorSource` in this module: the
    /// generic `run` called from another module would look up the reader's type metadata on every record.
    public func run(
        _ source: FileDescriptorSource, inputFormat: DeclarationReader<FileDescriptorSource>.Format? = nil,
        write: (UnsafeRawBufferPointer) -> Void, reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        try screenAll(source, inputFormat: inputFormat, write: write, reportError: reportError)
    }

    func screenAll<Source: ByteSource & Sendable>(
        _ source: Source, inputFormat: DeclarationReader<Source>.Format?,
        write: (UnsafeRawBufferPointer) -> Void, reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        var reader = DeclarationReader(source: source, format: inputFormat)
        // The first batch on this thread: a broken header fails before any thread starts.
        let first = try reader.next(maximum: batchSize)
        if threads > 1 && !first.isEmpty {
            let feed = DeclarationFeed(reader: reader, first: first, batchSize: batchSize, readAhead: threads * 3)
            return try screenAll(feed, started: started, write: write, reportError: reportError)
        }
        var summary = begin(write: write)
        var batch = first
        var scratch = ScreeningEngine.Scratch(memoSlots: memoSlots, memoBudget: memoBudget)
        while !batch.isEmpty {
            let done = screen(batch, scratch: &scratch)
            emit(done, summary: &summary, write: write, reportError: reportError)
            batch = try reader.next(maximum: batchSize)
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return summary
    }

    /// Writes the format's header and starts the summary.
    func begin(write: (UnsafeRawBufferPointer) -> Void) -> ScreeningSummary {
        format.header.withUnsafeBytes { if !$0.isEmpty { write($0) } }
        var summary = ScreeningSummary()
        summary.referenceVersion = engine.reference.version
        return summary
    }

    /// Screens what `feed` reads (it may have started reading before this screener's engine was built), on
    /// `threads` threads. `write` gets output bytes in order; `reportError` gets each unreadable line in order.
    /// Throws when the input breaks off unreadably; what was read before is screened and written first.
    public func run<Source>(
        _ feed: DeclarationFeed<Source>, write: (UnsafeRawBufferPointer) -> Void,
        reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        try screenAll(feed, write: write, reportError: reportError)
    }

    /// `run(feed)` compiled for file descriptors in this module (see `run(_:inputFormat:write:reportError:)`).
    public func run(
        _ feed: DeclarationFeed<FileDescriptorSource>, write: (UnsafeRawBufferPointer) -> Void,
        reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        try screenAll(feed, write: write, reportError: reportError)
    }

    func screenAll<Source>(
        _ feed: DeclarationFeed<Source>, started: UInt64 = DispatchTime.now().uptimeNanoseconds,
        write: (UnsafeRawBufferPointer) -> Void, reportError: (DeclarationError) -> Void
    ) throws(InputError) -> ScreeningSummary {
        var summary = begin(write: write)
        try runParallel(feed: feed, summary: &summary, write: write, reportError: reportError)
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return summary
    }

    /// A batch screened and encoded.
    struct Done: Sendable {
        var output: [UInt8]
        var errors: [DeclarationError]
        var summary: ScreeningSummary
    }

    func screen(_ batch: DeclarationReader<some ByteSource>.Batch, scratch: inout ScreeningEngine.Scratch) -> Done {
        var out: [UInt8] = []
        out.reserveCapacity(batch.records.count * 256)
        var summary = ScreeningSummary()
        var green = 0
        let quickQuiet = format == .jsonl
        _ = scratch.memo?.beginBatch()
        scratch.memo?.lookUp(batch.records, into: &scratch.found, quiet: &scratch.quiet)
        for (k, record) in batch.records.enumerated() {
            let remembered = scratch.memo != nil
            if quickQuiet && remembered && scratch.quiet[k] {
                // Evidence seen before, with nothing on it.
                green += 1
                engine.writeQuiet(record, into: &out)
                continue
            }
            var line = engine.gather(record, known: remembered ? scratch.found[k] : nil, scratch: &scratch)
            if quickQuiet && line.isQuiet {
                // Nothing on the line: green, written without building its result.
                green += 1
                engine.writeQuiet(record, into: &out)
                continue
            }
            let result = line.result()
            if quickQuiet {
                // Lines with the same evidence and direction share their findings, and so their JSON.
                ResultWriter.jsonLine(result, findings: line.findingsJSON(result.findings), into: &out)
            } else {
                format.write(result, into: &out)
            }
            // Most lines are green with nothing on them: count those without touching the dictionaries.
            if result.lane == .green && result.findings.isEmpty && result.flags.isEmpty {
                green += 1
            } else {
                summary.add(result)
            }
        }
        summary.foldFlags()
        summary.lines += green
        if green > 0 { summary.lanes[.green, default: 0] += green }
        summary.errors = batch.errors.count
        return Done(output: out, errors: batch.errors, summary: summary)
    }

    func emit(
        _ done: Done, summary: inout ScreeningSummary, write: (UnsafeRawBufferPointer) -> Void,
        reportError: (DeclarationError) -> Void
    ) {
        for error in done.errors { reportError(error) }
        done.output.withUnsafeBytes { if !$0.isEmpty { write($0) } }
        summary.merge(done.summary)
    }

    func runParallel<Source>(
        feed: DeclarationFeed<Source>, summary: inout ScreeningSummary, write: (UnsafeRawBufferPointer) -> Void,
        reportError: (DeclarationError) -> Void
    ) throws(InputError) {
        let queue = feed.queue
        let engine = self
        let workers = (0..<threads).map { _ in
            let t = Thread {
                var scratch = ScreeningEngine.Scratch(memoSlots: engine.memoSlots, memoBudget: engine.memoBudget)
                while let (sequence, batch) = queue.take() {
                    queue.put(sequence, engine.screen(batch, scratch: &scratch))
                }
            }
            t.stackSize = 1 << 20
            t.start()
            return t
        }
        _ = workers
        // This thread writes, in order.
        while let done = queue.nextResult() {
            emit(done, summary: &summary, write: write, reportError: reportError)
        }
        if let error = queue.failure { throw error }
    }
}

/// Reads declarations on a thread of its own, ahead of screening: a command can start its feed, then load the
/// reference data and build the engine while the first batches are read, and hand the feed to
/// `BatchScreener.run(_:write:reportError:)`. At most `readAhead` batches wait, so memory stays bounded.
public final class DeclarationFeed<Source: ByteSource & Sendable>: @unchecked Sendable {
    let queue: WorkQueue<DeclarationReader<Source>.Batch, BatchScreener.Done>

    /// Reads the header and the first batch on the calling thread (a broken header throws here, before any thread
    /// starts), then goes on reading on its own thread.
    public convenience init(
        _ source: Source, inputFormat: DeclarationReader<Source>.Format? = nil, batchSize: Int = 2048,
        readAhead: Int = 16
    ) throws(InputError) {
        var reader = DeclarationReader(source: source, format: inputFormat)
        let first = try reader.next(maximum: max(1, batchSize))
        self.init(reader: reader, first: first, batchSize: max(1, batchSize), readAhead: readAhead)
    }

    /// A feed of a file or standard input, compiled for file descriptors in this module (a generic feed started
    /// from another module would look up the reader's type metadata on every record).
    public static func file(
        _ source: FileDescriptorSource, inputFormat: DeclarationReader<FileDescriptorSource>.Format? = nil,
        batchSize: Int = 2048, readAhead: Int = 16
    ) throws(InputError) -> DeclarationFeed<FileDescriptorSource> {
        try DeclarationFeed<FileDescriptorSource>(
            source, inputFormat: inputFormat, batchSize: batchSize, readAhead: readAhead)
    }

    init(reader: DeclarationReader<Source>, first: DeclarationReader<Source>.Batch, batchSize: Int, readAhead: Int) {
        let queue = WorkQueue<DeclarationReader<Source>.Batch, BatchScreener.Done>(capacity: max(2, readAhead))
        self.queue = queue
        if first.isEmpty {
            queue.finishInput()
            return
        }
        queue.push(first)
        let readerBox = ReaderBox(reader)
        let readThread = Thread {
            while true {
                do throws(InputError) {
                    let batch = try readerBox.reader.next(maximum: batchSize)
                    if batch.isEmpty { break }
                    if !queue.push(batch) { break }
                } catch {
                    queue.fail(error)
                    break
                }
            }
            queue.finishInput()
        }
        readThread.stackSize = 1 << 20
        readThread.start()
    }
}

/// Carries the reader to the reading thread (only that thread touches it after the hand-over).
final class ReaderBox<Source: ByteSource>: @unchecked Sendable {
    var reader: DeclarationReader<Source>
    init(_ reader: DeclarationReader<Source>) { self.reader = reader }
}

/// Batches in, results out, in order, bounded: the reader blocks when `capacity` batches wait unscreened or
/// unwritten, so memory does not grow with the input.
final class WorkQueue<Input, Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [(Int, Input)] = []
    private var pendingStart = 0
    private var results: [Int: Output] = [:]
    private var pushed = 0
    private var written = 0
    private var inputDone = false
    private let capacity: Int
    private(set) var failure: InputError?

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a batch; blocks while too many are in flight.
    @discardableResult
    func push(_ input: Input) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while pushed - written >= capacity { condition.wait() }
        pending.append((pushed, input))
        pushed += 1
        condition.broadcast()
        return true
    }

    func finishInput() {
        condition.lock()
        inputDone = true
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: InputError) {
        condition.lock()
        failure = error
        condition.unlock()
    }

    /// The next batch to screen, or nil when the input is done.
    func take() -> (Int, Input)? {
        condition.lock()
        defer { condition.unlock() }
        while pendingStart == pending.count && !inputDone { condition.wait() }
        guard pendingStart < pending.count else { return nil }
        let item = pending[pendingStart]
        pendingStart += 1
        if pendingStart > 64 && pendingStart * 2 > pending.count {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        return item
    }

    func put(_ sequence: Int, _ output: Output) {
        condition.lock()
        results[sequence] = output
        condition.broadcast()
        condition.unlock()
    }

    /// The next result in input order, or nil when all are written.
    func nextResult() -> Output? {
        condition.lock()
        defer { condition.unlock() }
        while results[written] == nil && !(inputDone && written == pushed) { condition.wait() }
        guard let output = results.removeValue(forKey: written) else { return nil }
        written += 1
        condition.broadcast()
        return output
    }
}
