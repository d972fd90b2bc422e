extension ImpairmentSpec {
    /// The grammar and the presets with their exact parameters, as plain text in lines of at most 78
    /// characters, for a command's `--help` (`hopline impair`, `hopline loopback --impair`).
    public static var grammarHelp: String {
        """
        An impairment SPEC is comma-separated key=value items, optionally led by
        a preset whose settings later items override (wifi,seed=3). Keys left
        out leave their effect off.
          loss=5%             independent random loss
          burst=P/R[/H[/K]]   Gilbert-Elliott burst loss. Per packet, P: good->bad,
                              R: bad->good (probabilities 0-1, or percent: 5%);
                              H, K: loss in the bad, good state (default 1, 0).
                              Mean burst 1/R, loss rate P/(P+R)
          delay=90ms          fixed one-way delay
          jitter=30ms         normal: standard deviation around the delay (the
                              total never below 0); pareto: mean extra delay on
                              top of it (shape 2.5: a heavy tail)
          jitter-dist=pareto  normal (default) or pareto
          reorder=off         keep FIFO order despite jitter (default on)
          dup=1%              duplicated packets (each copy has its own jitter)
          stall=300ms/5s      packets sent during a 300 ms window every 5 s wait
                              for the window to end
          skew=-500ppm        sender clock skew: +N stretches its timeline N ppm
          seed=7              random seed (default 1): same seed, same fates
        Durations take us, ms or s (a bare number is ms).

        Presets (name, exact parameters, what it stands for):
        \(presetHelp)
        """
    }

    /// The presets: each name with its exact parameters (wrapped after commas), then what it stands for.
    public static var presetHelp: String {
        let nameWidth = presets.map(\.name.count).max() ?? 0
        let indent = String(repeating: " ", count: nameWidth + 4)
        let width = 78 - indent.count
        return presets.map { preset in
            let pad = String(repeating: " ", count: nameWidth - preset.name.count)
            let items = preset.spec.description.split(separator: ",").map(String.init)
            let parameters = wrap(items, separator: ",", width: width).joined(separator: ",\n" + indent)
            let summary = wrap(preset.summary.split(separator: " ").map(String.init), separator: " ", width: width)
            return "  \(preset.name)\(pad)  \(parameters)\n" + summary.map { indent + $0 }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Joins `pieces` with `separator` into lines of at most `width` characters (a longer piece gets a line
    /// of its own); a line broken at a separator leaves the separator to the caller.
    private static func wrap(_ pieces: [String], separator: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for piece in pieces {
            if line.isEmpty {
                line = piece
            } else if line.count + separator.count + piece.count + separator.count <= width {
                line += separator + piece
            } else {
                lines.append(line)
                line = piece
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
