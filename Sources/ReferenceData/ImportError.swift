import Foundation

/// Why an import file was refused: the file, the line (1 is the header; 0 for the file as a whole), the field, and
/// what is wrong, the same shape as any other reference problem. Nothing of a refused file is stored.
public typealias ImportError = ReferenceIssue

extension ReferenceIssue: Error {}

/// Reading import files: bytes, gzip, CSV with required columns.
enum ImportFile {
    /// The bytes of an import file, as stored (see `decoded` for gzip).
    static func readFile(_ path: String) throws(ImportError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(file: path, line: 0, message: "cannot be read (missing, or no permission)")
        }
        return [UInt8](data)
    }

    /// The largest import file once decompressed. The full Species+ export is about 10 MB of CSV; a gzip file that
    /// inflates past this is refused as it inflates (a 1 MB "gzip bomb" once took 3.2 GB and 28 s to fail).
    static let maximumDecompressedBytes = 512 << 20

    /// The bytes as CSV: decompressed when they are gzip (whatever the file's name), at most
    /// `maximumDecompressedBytes`.
    static func decoded(_ bytes: [UInt8], name: String) throws(ImportError) -> [UInt8] {
        guard Gzip.isGzip(bytes) else { return bytes }
        do { return try Gzip.decompress(bytes, limit: maximumDecompressedBytes) } catch {
            throw ImportError(file: name, line: 0, message: error.description)
        }
    }

    /// Parses a CSV file (or a gzip-compressed one) and checks its required columns.
    static func table(_ bytes: [UInt8], name: String, required: [String]) throws(ImportError) -> CSVTable {
        let bytes = try decoded(bytes, name: name)
        let table: CSVTable
        do { table = try CSVTable(bytes: bytes, file: name) } catch {
            throw ImportError(file: error.file, line: error.line, message: error.message)
        }
        let missing = table.missingColumns(required)
        guard missing.isEmpty else {
            throw ImportError(
                file: name, line: 1, message: "missing required column(s): \(missing.joined(separator: ", "))")
        }
        return table
    }
}
