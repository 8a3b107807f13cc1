#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where declaration bytes come from: a file or standard input (read in chunks, so memory stays constant whatever
/// the size), or memory.
public protocol ByteSource {
    /// Appends up to `count` bytes to `buffer`; returns how many, 0 at the end.
    mutating func read(into buffer: inout [UInt8], count: Int) throws(InputError) -> Int
}

/// A fatal input problem: the file cannot be read at all, or its header is unusable.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads a file descriptor (a file, a pipe, standard input).
public struct FileDescriptorSource: ByteSource, Sendable {
    let fd: Int32
    let name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Opens a file, or standard input for `-`.
    public static func open(_ path: String) throws(InputError) -> FileDescriptorSource {
        if path == "-" { return FileDescriptorSource(fd: 0, name: "standard input") }
        let fd = path.withCString { systemOpen($0) }
        guard fd >= 0 else { throw InputError("\(path): cannot be opened (\(String(cString: strerror(errno))))") }
        return FileDescriptorSource(fd: fd, name: path)
    }

    public mutating func read(into buffer: inout [UInt8], count: Int) throws(InputError) -> Int {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        var n = 0
        repeat {
            n = buffer.withUnsafeMutableBufferPointer { systemRead(fd, $0.baseAddress! + old, count) }
        } while n < 0 && errno == EINTR
        guard n >= 0 else {
            buffer.removeLast(count)
            throw InputError("\(name): read failed (\(String(cString: strerror(errno))))")
        }
        buffer.removeLast(count - n)
        return n
    }

    public func close() { if fd > 2 { _ = systemClose(fd) } }
}

/// Bytes already in memory (tests, the API).
public struct MemorySource: ByteSource, Sendable {
    let bytes: [UInt8]
    var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    public mutating func read(into buffer: inout [UInt8], count: Int) throws(InputError) -> Int {
        let n = min(count, bytes.count - offset)
        buffer.append(contentsOf: bytes[offset..<(offset + n)])
        offset += n
        return n
    }
}

@inline(__always) private func systemOpen(_ path: UnsafePointer<CChar>) -> Int32 { open(path, O_RDONLY) }
@inline(__always) private func systemRead(_ fd: Int32, _ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int {
    read(fd, p, n)
}
@inline(__always) private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
