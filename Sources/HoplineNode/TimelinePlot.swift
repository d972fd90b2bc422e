import Foundation
import HoplineCore

/// Draws a loopback run's jitter-buffer timeline as an SVG: packet arrivals (relative delay; late ones
/// marked), lost packets, the target and the actual (filtered) playout delay over time, and one lane of
/// playout operations (concealment, FEC recovery, accelerate, expand, comfort noise, merge).
public struct TimelinePlot {
    public var title: String
    public var width = 1_200.0
    public var height = 560.0

    public init(title: String) { self.title = title }

    private static let operationColours: [(name: String, colour: String)] = [
        ("conceal", "#d62728"), ("fec", "#ff7f0e"), ("accelerate", "#9467bd"),
        ("preemptive-expand", "#17becf"), ("comfort-noise", "#7f7f7f"), ("merge", "#bcbd22"),
    ]

    /// The SVG document for `events` (times relative to `origin`).
    public func svg(events: [JitterBufferEvent], origin: ClockInstant) -> String {
        var arrivals: [(t: Double, seq: Int64, delay: Double, late: Bool)] = []
        var decisions: [(t: Double, op: String, target: Double, delay: Double)] = []
        for event in events {
            switch event {
            case .arrival(let time, let sequence, let delay, let late):
                arrivals.append((time.seconds - origin.seconds, sequence, delay, late))
            case .decision(let time, let operation, let target, let delay):
                decisions.append((time.seconds - origin.seconds, operation, target, delay))
            }
        }
        let duration = max(1, (arrivals.map(\.t) + decisions.map(\.t)).max() ?? 1)
        let maxDelay = max(50, ((arrivals.map(\.delay) + decisions.map(\.target) + decisions.map(\.delay)).max() ?? 50) * 1.1)
        let left = 70.0, right = width - 20, top = 50.0, plotBottom = height - 150, laneTop = height - 110, laneBottom = height - 60
        func x(_ t: Double) -> Double { left + (right - left) * t / duration }
        func y(_ ms: Double) -> Double { plotBottom - (plotBottom - top) * min(ms, maxDelay) / maxDelay }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="24" font-size="16">\(escape(title))</text>

            """
        // Axes and grid.
        for step in 0...5 {
            let ms = maxDelay * Double(step) / 5
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(ms)))\" x2=\"\(f(right))\" y2=\"\(f(y(ms)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(ms) + 4))\" text-anchor=\"end\">\(Int(ms))</text>\n"
        }
        let secondsStep = max(1, (duration / 10).rounded(.up))
        var second = 0.0
        while second <= duration {
            svg += "<line x1=\"\(f(x(second)))\" y1=\"\(f(top))\" x2=\"\(f(x(second)))\" y2=\"\(f(laneBottom))\" stroke=\"#f3f3f3\"/>"
            svg += "<text x=\"\(f(x(second)))\" y=\"\(f(laneBottom + 16))\" text-anchor=\"middle\">\(Int(second)) s</text>\n"
            second += secondsStep
        }
        svg += "<text x=\"14\" y=\"\(f((top + plotBottom) / 2))\" transform=\"rotate(-90 14 \(f((top + plotBottom) / 2)))\" text-anchor=\"middle\">delay (ms)</text>\n"
        svg += "<text x=\"\(f(left - 6))\" y=\"\(f((laneTop + laneBottom) / 2 + 4))\" text-anchor=\"end\">ops</text>\n"
        // Arrivals: relative delay of each packet, late ones as red crosses.
        for arrival in arrivals {
            if arrival.late {
                let cx = x(arrival.t), cy = y(arrival.delay)
                svg += "<path d=\"M\(f(cx - 3)) \(f(cy - 3)) L\(f(cx + 3)) \(f(cy + 3)) M\(f(cx - 3)) \(f(cy + 3)) L\(f(cx + 3)) \(f(cy - 3))\" stroke=\"#d62728\"/>"
            } else {
                svg += "<circle cx=\"\(f(x(arrival.t)))\" cy=\"\(f(y(arrival.delay)))\" r=\"1.5\" fill=\"#1f77b4\" fill-opacity=\"0.6\"/>"
            }
        }
        svg += "\n"
        // Lost packets: sequence numbers that never arrived, at the time their neighbours did.
        let sortedArrivals = arrivals.sorted { $0.seq < $1.seq }
        for (previous, next) in zip(sortedArrivals, sortedArrivals.dropFirst()) where next.seq - previous.seq > 1 {
            for missing in (previous.seq + 1)..<next.seq {
                let fraction = Double(missing - previous.seq) / Double(next.seq - previous.seq)
                let t = previous.t + (next.t - previous.t) * fraction
                svg += "<line x1=\"\(f(x(t)))\" y1=\"\(f(plotBottom))\" x2=\"\(f(x(t)))\" y2=\"\(f(plotBottom - 10))\" stroke=\"#d62728\" stroke-width=\"1.5\"/>"
            }
        }
        svg += "\n"
        // Target and actual playout delay.
        svg += polyline(decisions.map { (x($0.t), y($0.target)) }, colour: "#2ca02c", dash: true)
        svg += polyline(decisions.map { (x($0.t), y($0.delay)) }, colour: "#000000", dash: false)
        // Operation lane.
        for decision in decisions {
            guard let colour = Self.operationColours.first(where: { $0.name == decision.op })?.colour else { continue }
            svg += "<line x1=\"\(f(x(decision.t)))\" y1=\"\(f(laneTop))\" x2=\"\(f(x(decision.t)))\" y2=\"\(f(laneBottom))\" stroke=\"\(colour)\"/>"
        }
        svg += "\n"
        // Legend.
        var legendX = left
        let legend: [(String, String)] =
            [("arrival (relative delay)", "#1f77b4"), ("late arrival", "#d62728"), ("lost (tick)", "#d62728"),
             ("target delay", "#2ca02c"), ("played delay", "#000000")] + Self.operationColours.map { ($0.name, $0.colour) }
        for (index, (name, colour)) in legend.enumerated() {
            let row = index < 5 ? height - 28 : height - 10
            if index == 5 { legendX = left }
            svg += "<rect x=\"\(f(legendX))\" y=\"\(f(row - 9))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(f(legendX + 14))\" y=\"\(f(row))\">\(escape(name))</text>"
            legendX += 20 + Double(name.count) * 7
        }
        svg += "\n</svg>\n"
        return svg
    }

    private func polyline(_ points: [(Double, Double)], colour: String, dash: Bool) -> String {
        guard !points.isEmpty else { return "" }
        let coordinates = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        let dashing = dash ? " stroke-dasharray=\"6 3\"" : ""
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dashing)/>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
