import Foundation
import HoplineCodec
import HoplineCore
import HoplineMedia
import XCTest

final class FECExperiment: XCTestCase {
    func writeWAV(_ samples: [Float], _ path: String) {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + samples.count * 2)); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(1); u32(48000); u32(96000); u16(2); u16(16); d.append(contentsOf: Array("data".utf8)); u32(UInt32(samples.count * 2))
        for s in samples { u16(UInt16(bitPattern: Int16(max(-32768, min(32767, (s * 32768).rounded()))))) }
        try! d.write(to: URL(fileURLWithPath: path))
    }
    func readWAV(_ path: String) -> [Float] {
        let b = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: path)))
        var o = 12
        while o + 8 <= b.count {
            let id = String(decoding: b[o..<o+4], as: UTF8.self); let size = Int(b[o+4]) | Int(b[o+5]) << 8 | Int(b[o+6]) << 16 | Int(b[o+7]) << 24
            if id == "data" { return stride(from: o+8, to: o+8+size-1, by: 2).map { Float(Int16(bitPattern: UInt16(b[$0]) | UInt16(b[$0+1]) << 8)) / 32768 } }
            o += 8 + size + (size & 1)
        }
        return []
    }

    func testExperiment() throws {
        guard let dir = ProcessInfo.processInfo.environment["FECX"] else { throw XCTSkip("experiment") }
        let spec = ProcessInfo.processInfo.environment["FECX_SPEC"] ?? "burst=0.05/0.5,delay=20ms,seed=1"
        let loss = Int(ProcessInfo.processInfo.environment["FECX_LOSS"] ?? "5")!
        let input = readWAV("/tmp/fecm/long.wav")
        let sender = try MediaSender(settings: OpusSettings(expectedLossPercent: loss), ssrc: 7, initialSequence: 100, initialTimestamp: 0)
        var packets: [RTPPacket] = []
        for i in 0..<(input.count / 960) {
            let f = Array(input[i*960..<(i+1)*960])
            packets.append(try f.withUnsafeBufferPointer { try sender.packetize(frame: $0)! })
        }
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: spec), origin: .zero)
        var arrivals: [(ClockInstant, Int)] = []
        var lost = Set<Int>()
        for i in packets.indices {
            let a = model.fate(ofPacketSentAt: .milliseconds(Double(i) * 20)).arrivals
            if a.isEmpty { lost.insert(i) }
            for t in a { arrivals.append((t, i)) }
        }
        arrivals.sort { $0.0 < $1.0 }
        func ref(fec: Bool) throws -> [Float] {
            let dec = try OpusDecoder()
            var out = [Float](repeating: 0, count: packets.count * 960)
            for i in packets.indices {
                try out.withUnsafeMutableBufferPointer { all in
                    let slot = UnsafeMutableBufferPointer(rebasing: all[i*960..<(i+1)*960])
                    if !lost.contains(i) { _ = try dec.decode(packets[i].payload, into: slot) }
                    else if fec, i + 1 < packets.count, !lost.contains(i+1) { _ = try dec.recoverFromFEC(of: packets[i+1].payload, samples: 960, into: slot) }
                    else { _ = try dec.conceal(samples: 960, into: slot) }
                }
            }
            return out
        }
        writeWAV(try ref(fec: true), dir + "/ref-fec.wav")
        writeWAV(try ref(fec: false), dir + "/ref-plc.wav")
        let receiver = try MediaReceiver(jitterBuffer: AdaptiveJitterBuffer(), recordsPlayout: true)
        var chunk = [Float](repeating: 0, count: 480)
        var rendered: [Float] = []
        var next = 0
        for tick in 0..<(packets.count * 2 + 100) {
            let now = ClockInstant.milliseconds(Double(tick) * 10 + 1)
            while next < arrivals.count, arrivals[next].0 <= now {
                receiver.ingest(packets[arrivals[next].1].serialized(), arrival: arrivals[next].0); next += 1
            }
            chunk.withUnsafeMutableBufferPointer { receiver.render(into: $0, now: now) }
            rendered += chunk
        }
        let start = Int(receiver.playoutLog.first!.outputSampleIndex) - Int(receiver.playoutLog.first!.rtpTimestamp)
        writeWAV(Array(rendered[max(0, start)...].prefix(packets.count * 960)), dir + "/hop.wav")
        print("lost \(lost.count) stats \(receiver.jitterStatistics) counters \(receiver.counters)")
    }
}
