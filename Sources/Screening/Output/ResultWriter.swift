import GreenCustomsCore

/// Writes screening results as bytes, one result per line, the same bytes for the same result: JSON Lines for
/// systems, CSV for spreadsheets, a plain table for people.
///
/// JSON Lines (keys always in this order; `explanation` and `corroborated_by` only when present):
/// `{"line_id","lane","risk_score","findings":[{"regime","certainty","basis","item_id","item","listing","evidence",
/// "match","corroborated_by","explanation","requirements"}],"flags":[{"code","message"}],"reference_version"}`
public enum ResultFormat: String, Sendable, CaseIterable {
    case jsonl, csv, table

    /// What precedes the first result (the CSV header row, the table's column titles).
    public var header: [UInt8] {
        switch self {
        case .jsonl: []
        case .csv: Array("line_id,lane,risk_score,regimes,findings,flags\n".utf8)
        case .table: Array("LINE         LANE    RISK  FINDINGS AND FLAGS\n".utf8)
        }
    }

    public func write(_ result: ScreeningResult, into out: inout [UInt8]) {
        switch self {
        case .jsonl: ResultWriter.jsonLine(result, into: &out)
        case .csv: ResultWriter.csvRow(result, into: &out)
        case .table: ResultWriter.tableRows(result, into: &out)
        }
    }
}

enum ResultWriter {
    @inline(__always)
    static func append(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    static func number(_ n: Int, _ out: inout [UInt8]) {
        if n >= 0 && n < 10 {
            out.append(0x30 + UInt8(n))
        } else {
            out += String(n).utf8
        }
    }

    static func jsonLine(_ r: ScreeningResult, into out: inout [UInt8]) { jsonLine(r, findings: nil, into: &out) }

    /// `findings`, when given, is `r.findings` already encoded (by `findings(_:into:)`).
    static func jsonLine(_ r: ScreeningResult, findings encoded: [UInt8]?, into out: inout [UInt8]) {
        append(#"{"line_id":"#, &out)
        string(r.lineID, into: &out)
        append(#","lane":""#, &out)
        out += r.lane.rawValue.utf8
        append(#"","risk_score":"#, &out)
        number(r.riskScore, &out)
        append(#","findings":"#, &out)
        if let encoded { out += encoded } else { findings(r.findings, into: &out) }
        append(#","flags":["#, &out)
        for (i, flag) in r.flags.enumerated() {
            if i > 0 { out.append(0x2C) }
            append(#"{"code":""#, &out)
            out += flag.code.rawValue.utf8
            append(#"","message":"#, &out)
            string(flag.message, into: &out)
            out.append(0x7D)
        }
        append(#"],"reference_version":"#, &out)
        string(r.referenceVersion, into: &out)
        out += "}\n".utf8
    }

    /// The JSON array of `findings`.
    static func findings(_ findings: [Finding], into out: inout [UInt8]) {
        out.append(0x5B)
        for (i, f) in findings.enumerated() {
            if i > 0 { out.append(0x2C) }
            append(#"{"regime":""#, &out)
            out += f.regime.rawValue.utf8
            append(#"","certainty":""#, &out)
            out += f.certainty.rawValue.utf8
            append(#"","basis":""#, &out)
            out += f.basis.rawValue.utf8
            append(#"","item_id":"#, &out)
            string(f.itemID, into: &out)
            append(#","item":"#, &out)
            string(f.item, into: &out)
            append(#","listing":"#, &out)
            string(f.listing, into: &out)
            append(#","evidence":"#, &out)
            string(f.evidence, into: &out)
            append(#","match":""#, &out)
            out += f.match.rawValue.utf8
            out.append(0x22)
            if !f.corroboratedBy.isEmpty {
                append(#","corroborated_by":["#, &out)
                for (k, b) in f.corroboratedBy.enumerated() {
                    if k > 0 { out.append(0x2C) }
                    out.append(0x22)
                    out += b.rawValue.utf8
                    out.append(0x22)
                }
                out.append(0x5D)
            }
            if let e = f.explanation {
                append(#","explanation":"#, &out)
                string(e, into: &out)
            }
            append(#","requirements":["#, &out)
            for (k, req) in f.requirements.enumerated() {
                if k > 0 { out.append(0x2C) }
                string(req, into: &out)
            }
            append("]}", &out)
        }
        out.append(0x5D)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else as UTF-8.
    static func string(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { string($0, into: &out) }
    }

    /// A JSON string literal of UTF-8 bytes.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        if !needsEscaping(bytes) {
            out.append(0x22)
            out.append(contentsOf: bytes)
            out.append(0x22)
            return
        }
        out.append(0x22)
        for b in bytes {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    /// Whether `bytes` hold a quote, a backslash or a control character, looked for eight bytes at a time: most
    /// strings (names, listings, documents) need none, and this scan is most of the cost of writing them.
    @inline(__always)
    static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= bytes.count {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // A byte below 0x20, a quote or a backslash (a zero byte after the XOR): the classic tests for "some byte
            // is less than n" and "some byte is zero", exact as to whether there is one.
            let control = (x &- ones &* 0x20) & ~x & high
            let q = x ^ (ones &* 0x22)
            let quote = (q &- ones) & ~q & high
            let b = x ^ (ones &* 0x5C)
            let backslash = (b &- ones) & ~b & high
            if control | quote | backslash != 0 { return true }
            i += 8
        }
        while i < bytes.count {
            let c = bytes[i]
            if c < 0x20 || c == 0x22 || c == 0x5C { return true }
            i += 1
        }
        return false
    }

    static func csvRow(_ r: ScreeningResult, into out: inout [UInt8]) {
        csvField(r.lineID, into: &out)
        out.append(0x2C)
        out += r.lane.rawValue.utf8
        out.append(0x2C)
        number(r.riskScore, &out)
        out.append(0x2C)
        var regimes: [Regime] = []
        for f in r.findings where !regimes.contains(f.regime) { regimes.append(f.regime) }
        csvField(regimes.map(\.rawValue).joined(separator: ";"), into: &out)
        out.append(0x2C)
        csvField(
            r.findings.map {
                "\($0.regime.rawValue) \($0.certainty.rawValue) \($0.itemID) [\($0.listing)] \"\($0.evidence)\""
            }
            .joined(separator: " | "), into: &out)
        out.append(0x2C)
        csvField(r.flags.map { "\($0.code.rawValue): \($0.message)" }.joined(separator: " | "), into: &out)
        out.append(0x0A)
    }

    /// A CSV field, quoted when it holds a comma, quote or line break. A leading `=`, `+`, `-` or `@` is prefixed
    /// with an apostrophe, so a spreadsheet never runs a declaration's text as a formula.
    static func csvField(_ s: String, into out: inout [UInt8]) {
        var bytes = Array(s.utf8)
        if let first = bytes.first, [0x3D, 0x2B, 0x2D, 0x40].contains(first) { bytes.insert(0x27, at: 0) }
        let quote = bytes.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        if !quote {
            out += bytes
            return
        }
        out.append(0x22)
        for b in bytes {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    static func tableRows(_ r: ScreeningResult, into out: inout [UInt8]) {
        func pad(_ s: String, _ width: Int) -> String {
            s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
        }
        var line = pad(r.lineID, 13) + pad(r.lane.rawValue.uppercased(), 8) + pad(String(r.riskScore), 6)
        if r.findings.isEmpty && r.flags.isEmpty {
            line += "-"
        }
        var rows = [line]
        for f in r.findings {
            var text =
                "\(f.regime.rawValue) \(f.certainty.rawValue): \(f.item) [\(f.listing)] from \(f.basis.rawValue) \"\(f.evidence)\""
            if let e = f.explanation { text += " (\(e))" }
            rows.append(String(repeating: " ", count: 27) + text)
            if !f.requirements.isEmpty {
                rows.append(String(repeating: " ", count: 29) + "needs: " + f.requirements.joined(separator: "; "))
            }
        }
        for flag in r.flags {
            rows.append(String(repeating: " ", count: 27) + "! \(flag.code.rawValue): \(flag.message)")
        }
        if rows.count > 1 && rows[0].hasSuffix(" ") {
            rows[0] += rows.remove(at: 1).drop { $0 == " " }
        }
        for row in rows {
            out += row.utf8
            out.append(0x0A)
        }
    }
}
