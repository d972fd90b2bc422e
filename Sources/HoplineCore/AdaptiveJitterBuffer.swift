/// A jitter buffer whose delay follows the network: small on a clean path, larger under jitter, back down
/// when the network calms. Built from small parts after WebRTC NetEq: a `PacketBuffer`, a `DelayEstimator`
/// (target from a high quantile of relative arrival delay, with forgetting), a buffer-level filter (the
/// smoothed delay actually being played), and the decision logic in `nextOperation`, which returns one
/// `PlayoutOperation` per call.
///
/// How delay moves: when the buffer runs dry the playout point *holds* (concealment without skipping
/// ahead), so a late burst is played rather than dropped and the delay grows by the stall; when the
/// filtered delay is above target packets are accelerated (time-compressed), below target they are
/// pre-emptively expanded. After a pause (DTX or stall) playout resumes only once the next packet has its
/// target delay, so every talkspurt starts at the target. A single missing packet with its successor at
/// hand is rebuilt from the successor's in-band FEC; when losses are seen the target keeps one frame
/// spare so the successor is there in time (two frames while RED copies are rebuilding bursts of two: see
/// `insertRedundant` and `Configuration.burstReserveFrames`). Clock drift moves the delay floor slowly; the
/// floor is a windowed minimum and stretching follows it.
///
/// Under heavy jitter with loss (percentile target >= 60 ms and >= 1 % network loss) the target is chosen by
/// expected quality instead (`PlayoutQualityModel`: late and network loss after RED/FEC recovery against
/// mouth-to-ear delay, an E-model cost, with hysteresis); elsewhere it is the percentile as above. During
/// warm-up the target is at least the spread of the packets seen so far, so a jittery call starts near
/// its target instead of growing to it through concealment.
public struct AdaptiveJitterBuffer: JitterBuffer {
    /// Tuning; defaults are what the quality benchmark measured as best (README, issue notes).
    public struct Configuration: Equatable, Sendable {
        /// Target used until enough packets have been seen to estimate one, milliseconds.
        public var initialTargetMilliseconds: Double = 20
        public var minimumTargetMilliseconds: Double = 0
        public var maximumTargetMilliseconds: Double = 1_000
        /// Added to the estimated target, milliseconds: the playout period. Decisions are taken once per
        /// period, so a packet arriving just after one waits up to a period for the next; without this
        /// margin a slowly drifting arrival phase would run the buffer dry once per period slipped.
        public var safetyMarginMilliseconds: Double = 10
        /// Keep one frame spare for FEC while losses have been seen recently.
        public var reserveFrameForFEC = true
        /// While losses are seen and RED copies recently rebuilt a burst of two (a copy two packets later
        /// was useful or came too late), keep this many frames spare instead of one, so the second copy is
        /// there in time. Without bursts, or without RED, the buffer never waits for it.
        public var burstReserveFrames = 2
        /// How long a burst rebuilt (or missed) by RED keeps the larger reserve, milliseconds of media.
        public var burstMemoryMilliseconds: Double = 10_000
        /// How far above target the filtered delay may rise before packets are accelerated, at least (ms).
        public var accelerateThresholdMilliseconds: Double = 8
        /// How far below target it may fall before packets are pre-emptively expanded, at least (ms): small,
        /// because below target the buffer is close to running dry.
        public var expandThresholdMilliseconds: Double = 1
        /// Longest the playout point holds waiting for a packet before giving the gap up as lost (ms).
        public var maximumHoldMilliseconds: Double = 1_000
        /// Packets a stream must have before the estimate replaces the initial target.
        public var warmUpPackets = 10
        /// During warm-up, aim at least for the spread of the packets seen so far (their high quantile plus the
        /// margin) instead of the initial target alone: on a jittery path the first packet then waits until
        /// the spread is known, rather than playout starting at 20 ms and growing through concealment.
        public var startsFromSpread = true
        /// Under heavy jitter, choose the target by expected quality (`PlayoutQualityModel`: late and network
        /// loss against delay, after RED/FEC recovery) instead of the percentile; nil: always the percentile.
        public var qualityModel: PlayoutQualityModel.Configuration? = PlayoutQualityModel.Configuration()
        public var estimator = DelayEstimator.Configuration()
        /// Record arrivals and decisions in `timeline`.
        public var recordsTimeline = false

        public init() {}
    }

    public let configuration: Configuration
    public private(set) var statistics = JitterBufferStatistics()
    public private(set) var timeline: [JitterBufferEvent] = []

    private var buffer = PacketBuffer()
    private var estimator: DelayEstimator
    private var playoutTimestamp: Int64?
    private var lastPlayedSequence: Int64?
    private var lastDuration = 960
    /// When the buffer ran dry while playing (nil while playing normally).
    private var holdingSince: ClockInstant?
    private var filteredDelay: Double?
    /// Exponentially weighted share of frames lost recently (0...1).
    private var recentLoss = 0.0
    /// Exponentially weighted share of packets arriving after a later-numbered one (0...1).
    private var recentReordering = 0.0
    private var highestSequence: Int64?
    private var highestTimestamp: Int64?
    /// The timestamp of the last frame a RED copy two or more packets later filled or came too late for.
    private var lastBurstTimestamp: Int64?
    /// Audio concealed while the buffer was dry, not yet classified as loss or pause (48 kHz samples).
    private var unclassifiedUnderrunSamples = 0
    private var previousWasConcealment = false
    /// Exponentially weighted share of packets lost in the network (sequence gaps never filled; 0...1).
    private var networkLoss = 0.0
    /// Sequence numbers counted into `networkLoss` (its first ones weigh equally, like the estimator's).
    private var networkLossSamples = 0
    /// The farthest distance of RED copies seen, and the highest timestamp when a copy was last seen.
    private var copyDistance = 0
    private var lastCopyTimestamp: Int64?
    /// The target chosen by the quality model (ms), while it is engaged.
    private var qualityTarget: Double?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        estimator = DelayEstimator(configuration: configuration.estimator)
    }

    /// The delay the buffer currently aims for, milliseconds after a packet's earliest possible arrival.
    public var targetDelayMilliseconds: Double {
        var target = configuration.initialTargetMilliseconds
        if estimator.count >= configuration.warmUpPackets {
            if let qualityTarget {
                target = qualityTarget
            } else {
                target = percentileTargetMilliseconds
                if configuration.reserveFrameForFEC && recentLoss > 0.002 { target += Double(reserveFrames * lastDuration) / 48 }
            }
        } else if configuration.startsFromSpread && estimator.count > 0 {
            target = max(target, percentileTargetMilliseconds)
        }
        return min(max(target, configuration.minimumTargetMilliseconds), configuration.maximumTargetMilliseconds)
    }

    /// Whether the target currently comes from the quality model (heavy jitter) rather than the percentile.
    public var targetIsQualityWeighted: Bool { qualityTarget != nil && estimator.count >= configuration.warmUpPackets }

    /// The estimator's quantile plus the safety margin (ms).
    private var percentileTargetMilliseconds: Double { estimator.targetMilliseconds + configuration.safetyMarginMilliseconds }

    /// RED copies per packet seen within the burst memory (0: none).
    private var redundancyDepth: Int {
        guard let lastCopyTimestamp, let reference = highestTimestamp,
            Double(reference - lastCopyTimestamp) / 48 <= configuration.burstMemoryMilliseconds
        else { return 0 }
        return copyDistance
    }

    /// Re-chooses the quality-weighted target after an arrival: engaged while the percentile target is at
    /// least the model's threshold, with the model's hysteresis against the current choice.
    private mutating func updateQualityTarget() {
        guard let model = configuration.qualityModel, estimator.count >= configuration.warmUpPackets else {
            qualityTarget = nil
            return
        }
        let percentile = percentileTargetMilliseconds
        // Once engaged, stay engaged down to half the loss and 10 ms less jitter, so the target does not flip
        // between the two rules (each flip is a stretch) while the estimates hover at a threshold.
        let engaged = qualityTarget != nil
        let jitterThreshold = model.engageAboveMilliseconds - (engaged ? 10 : 0)
        let lossThreshold = model.engageAboveNetworkLoss / (engaged ? 2 : 1)
        guard percentile >= jitterThreshold, networkLoss >= lossThreshold else {
            qualityTarget = nil
            return
        }
        let frame = Double(lastDuration) / 48
        let depth = redundancyDepth
        let stream = PlayoutQualityModel.Stream(
            cumulativeShares: estimator.cumulativeShares, bucketMilliseconds: estimator.configuration.bucketMilliseconds,
            networkLoss: networkLoss, redundancyDepth: depth, inBandFEC: configuration.reserveFrameForFEC && networkLoss >= model.fecAboveNetworkLoss,
            frameMilliseconds: frame, marginMilliseconds: configuration.safetyMarginMilliseconds)
        let highest = min(configuration.maximumTargetMilliseconds, percentile + Double(depth + 1) * frame + 40)
        qualityTarget = PlayoutQualityModel(configuration: model).choose(
            stream: stream, current: qualityTarget, lowest: configuration.safetyMarginMilliseconds, highest: highest)
    }

    /// Frames kept spare while losses are seen: one for FEC, more while RED is rebuilding bursts.
    private var reserveFrames: Int {
        guard let lastBurstTimestamp, let reference = highestTimestamp,
            Double(reference - lastBurstTimestamp) / 48 <= configuration.burstMemoryMilliseconds
        else { return 1 }
        return max(1, configuration.burstReserveFrames)
    }

    /// The smoothed delay being played (ms), once playout has started.
    public var playedDelayMilliseconds: Double? { filteredDelay }

    public mutating func insert(_ packet: RTPPacket, duration: Int, arrival: ClockInstant) -> JitterBufferInsertResult {
        let buffered: BufferedPacket
        var result = JitterBufferInsertResult.accepted
        switch buffer.admit(packet, duration: duration, arrival: arrival) {
        case .duplicate:
            statistics.duplicates += 1
            return .duplicate
        case .fresh(let admitted):
            buffered = admitted
        case .firstOfNewStream(let admitted):
            resetPlayout()
            statistics.streamResets += 1
            result = .acceptedNewStream
            buffered = admitted
        }
        let media = Double(buffered.extendedTimestamp) / 48
        if let playoutTimestamp, buffered.extendedTimestamp - playoutTimestamp > Int64(48 * configuration.maximumTargetMilliseconds * 4) {
            // Far ahead of anything bridgeable (sender restart, clock jump): start over from this packet.
            restart()
            statistics.streamResets += 1
            return insert(packet, duration: duration, arrival: arrival)
        }
        estimator.record(arrival: arrival, mediaMilliseconds: media)
        noteNetworkLoss(sequence: buffered.extendedSequence)
        let reordered = highestSequence.map { buffered.extendedSequence < $0 } ?? false
        recentReordering += ((reordered ? 1 : 0) - recentReordering) / 100
        highestSequence = max(highestSequence ?? buffered.extendedSequence, buffered.extendedSequence)
        highestTimestamp = max(highestTimestamp ?? buffered.extendedTimestamp, buffered.extendedTimestamp)
        updateQualityTarget()
        let late = playoutTimestamp.map { buffered.extendedTimestamp < $0 } ?? false
        if configuration.recordsTimeline {
            let relative = arrival.milliseconds - media - (estimator.floorMilliseconds ?? 0)
            timeline.append(.arrival(time: arrival, sequence: buffered.extendedSequence, relativeDelayMs: relative, late: late))
        }
        if late {
            statistics.late += 1
            return .late
        }
        statistics.inserted += 1
        buffer.store(buffered)
        return result
    }

    public mutating func insertRedundant(_ packet: RTPPacket, duration: Int, arrival: ClockInstant, distance: Int) -> JitterBufferInsertResult {
        if buffer.ssrc == packet.ssrc, let highestTimestamp {
            // Copies are arriving: the quality model counts them as carriers of the frames they repeat.
            if redundancyDepth == 0 { copyDistance = 0 }
            copyDistance = max(copyDistance, distance)
            lastCopyTimestamp = highestTimestamp
        }
        guard buffer.ssrc == packet.ssrc, case .fresh(let buffered) = buffer.admit(packet, duration: duration, arrival: arrival) else {
            // The primary or an earlier copy is here (or played): nothing to do, and not a network duplicate.
            // A copy never starts or switches a stream: it takes the SSRC of the primary it rode in with.
            return .duplicate
        }
        if distance >= 2 { lastBurstTimestamp = max(lastBurstTimestamp ?? buffered.extendedTimestamp, buffered.extendedTimestamp) }
        if let playoutTimestamp, buffered.extendedTimestamp < playoutTimestamp {
            statistics.redundantCopiesLate += 1
            return .late
        }
        // The primary is missing: losses are being seen even when RED rebuilds them, so the reserve stays.
        noteLoss(true)
        statistics.redundantCopiesUsed += 1
        if distance >= 2 { statistics.burstCopiesUsed += 1 }
        buffer.store(buffered)
        return .accepted
    }

    public mutating func nextOperation(now: ClockInstant) -> PlayoutOperation {
        let operation = decide(now: now)
        if configuration.recordsTimeline, operation != .waiting {
            timeline.append(
                .decision(time: now, operation: operation.name, targetMs: targetDelayMilliseconds, delayMs: filteredDelay ?? 0))
        }
        return operation
    }

    public mutating func pathChanged() { estimator.restartFloor() }

    public mutating func didStretch(bySamples samples: Int) {
        statistics.stretchedSamples += abs(samples)
        if let filteredDelay { self.filteredDelay = filteredDelay + Double(samples) / 48 }
    }

    // MARK: - Decision logic

    private mutating func decide(now: ClockInstant) -> PlayoutOperation {
        guard let playoutTimestamp else { return start(now: now) }
        if let holdingSince { return resume(now: now, holdingSince: holdingSince, playoutTimestamp: playoutTimestamp) }
        guard let next = buffer.first else {
            // The buffer ran dry: hold the playout point and conceal until something arrives.
            holdingSince = now
            return expand()
        }
        if next.extendedTimestamp == playoutTimestamp { return play(buffer.removeFirst(), now: now) }
        // The packet for this slot is missing but a later one is here.
        let gap = Int(next.extendedTimestamp - playoutTimestamp)
        if let lastPlayedSequence, next.extendedSequence == lastPlayedSequence + 1 {
            let samples = min(gap, lastDuration)
            self.playoutTimestamp = playoutTimestamp + Int64(samples)
            statistics.comfortNoise += 1
            return .comfortNoise(samples: samples)
        }
        if gap <= lastDuration {
            noteLoss(true)
            self.playoutTimestamp = next.extendedTimestamp
            statistics.fecRecovered += 1
            previousWasConcealment = true
            return .recoverFromFEC(next: next, samples: gap)
        }
        // Conceal up to the start of the frame before `next` (a whole frame, or the rest of one that a hold
        // already partly concealed), so that frame is rebuilt from FEC whole.
        let samples = min(lastDuration, gap - lastDuration)
        noteLoss(true)
        self.playoutTimestamp = playoutTimestamp + Int64(samples)
        // A hold already counted the frame it partly concealed (`classifyUnderrun`).
        if samples == lastDuration { statistics.concealed += 1 }
        previousWasConcealment = true
        return .conceal(samples: samples)
    }

    /// Before the first packet plays: wait until it has the target delay.
    private mutating func start(now: ClockInstant) -> PlayoutOperation {
        guard let first = buffer.first, now >= playableTime(of: first) else { return .waiting }
        playoutTimestamp = first.extendedTimestamp
        return play(buffer.removeFirst(), now: now)
    }

    /// While holding after the buffer ran dry: keep concealing until the next packet is due, then pick up.
    private mutating func resume(now: ClockInstant, holdingSince: ClockInstant, playoutTimestamp: Int64) -> PlayoutOperation {
        let heldTooLong = now.milliseconds(since: holdingSince) >= configuration.maximumHoldMilliseconds
        guard let next = buffer.first else { return expand() }
        let gap = next.extendedTimestamp - playoutTimestamp
        let contiguous = lastPlayedSequence.map { next.extendedSequence == $0 + 1 } ?? false
        if let lastPlayedSequence, !contiguous, gap > 0, recentReordering < 0.01,
            gap <= Int64(lastDuration) * (next.extendedSequence - lastPlayedSequence)
        {
            // A later packet is here, the sequence gap accounts for the whole timestamp gap, and this path
            // does not reorder: the missing packets are lost, not late. Stop holding and go on slot by slot
            // (conceal, then FEC for the last one). On a reordering path the hold goes on instead, since the
            // missing packet is probably still on its way.
            // The audio concealed while holding already stood in for the first missing slots: move the
            // playout point past it sample for sample, so an outage (a path that died, a loss burst) costs its
            // own length and no more; `decide` then conceals only the rest of the frame the hold cut into. The
            // skip never reaches into the last missing frame, which FEC rebuilds whole (libopus conceals
            // instead when asked for less than the packet's duration).
            let held = Int64(unclassifiedUnderrunSamples), frame = Int64(lastDuration)
            let skip = max(0, min(held, gap - frame))
            self.playoutTimestamp = playoutTimestamp + skip
            self.holdingSince = nil
            classifyUnderrun(asPause: false)
            return decide(now: now)
        }
        guard now >= playableTime(of: next) || heldTooLong || gap == 0 else { return expand() }
        self.holdingSince = nil
        classifyUnderrun(asPause: contiguous && next.packet.marker)
        if gap > 0 && !contiguous {
            noteLoss(true)
            if gap >= Int64(lastDuration) {
                // The frame just before `next` is gone: rebuild it from `next`'s FEC, then play `next`.
                self.playoutTimestamp = next.extendedTimestamp
                statistics.fecRecovered += 1
                return .recoverFromFEC(next: next, samples: lastDuration)
            }
        }
        self.playoutTimestamp = next.extendedTimestamp
        return play(buffer.removeFirst(), now: now)
    }

    /// Plays the packet at the playout point: normally, or stretched toward the target delay.
    private mutating func play(_ packet: BufferedPacket, now: ClockInstant) -> PlayoutOperation {
        playoutTimestamp = packet.extendedTimestamp + Int64(packet.duration)
        let delay = now.milliseconds - expectedArrivalMilliseconds(packet)
        let filtered = filteredDelay.map { $0 + (delay - $0) / 8 } ?? delay
        filteredDelay = filtered
        lastPlayedSequence = packet.extendedSequence
        lastDuration = packet.duration
        noteLoss(false)
        statistics.played += 1
        if previousWasConcealment {
            previousWasConcealment = false
            statistics.merged += 1
            return .merge(packet)
        }
        let target = targetDelayMilliseconds
        // While losses are being concealed, tolerate more excess delay before accelerating: every stretch
        // next to a concealed or FEC-rebuilt frame costs more quality than a little extra delay.
        let accelerateBand = recentLoss > 0.002 ? 2 * configuration.accelerateThresholdMilliseconds : configuration.accelerateThresholdMilliseconds
        let upper = target + max(accelerateBand, target / 4)
        if filtered > upper, delay > target {
            // Remove no more than brings the delay back to target.
            statistics.accelerated += 1
            return .accelerate(packet, maximumSamples: Int((filtered - target) * 48))
        }
        if filtered < target - max(configuration.expandThresholdMilliseconds, target / 10), delay < target {
            // Add no more than keeps the delay below the accelerate limit, so the two never see-saw.
            statistics.preemptiveExpanded += 1
            return .preemptiveExpand(packet, maximumSamples: Int((upper - filtered - 1) * 48))
        }
        return .normal(packet)
    }

    /// Conceals one playout period's worth while holding (at most 10 ms, so pick-up is prompt).
    private mutating func expand() -> PlayoutOperation {
        let samples = min(lastDuration, 480)
        unclassifiedUnderrunSamples += samples
        previousWasConcealment = true
        return .conceal(samples: samples)
    }

    /// Audio concealed while dry was a DTX pause or losses/stall; counted, in frames, once the next packet tells.
    private mutating func classifyUnderrun(asPause: Bool) {
        let frames = (unclassifiedUnderrunSamples + lastDuration - 1) / lastDuration
        if asPause { statistics.comfortNoise += frames } else { statistics.concealed += frames }
        unclassifiedUnderrunSamples = 0
    }

    /// When `packet` could have arrived at the earliest (the delay floor), milliseconds on the buffer's clock.
    private func expectedArrivalMilliseconds(_ packet: BufferedPacket) -> Double {
        Double(packet.extendedTimestamp) / 48 + (estimator.floorMilliseconds ?? packet.arrival.milliseconds - Double(packet.extendedTimestamp) / 48)
    }

    /// When `packet` has waited the target delay.
    private func playableTime(of packet: BufferedPacket) -> ClockInstant {
        .milliseconds(expectedArrivalMilliseconds(packet) + targetDelayMilliseconds)
    }

    private mutating func noteLoss(_ lost: Bool) {
        recentLoss += ((lost ? 1 : 0) - recentLoss) / 250
    }

    /// Network loss from sequence numbers: each number skipped counts as lost, and is taken back if its packet
    /// turns up later (reordered or late: late packets are the delay distribution's business, not the network's).
    private mutating func noteNetworkLoss(sequence: Int64) {
        guard let highestSequence else { return }
        // A running mean over the first 250 numbers, then exponential forgetting over about 250.
        func add(_ lost: Double) {
            networkLossSamples += 1
            networkLoss += (lost - networkLoss) / Double(min(networkLossSamples, 250))
        }
        if sequence > highestSequence {
            for _ in 0..<min(sequence - highestSequence - 1, 250) { add(1) }
            add(0)
        } else {
            networkLoss = max(0, networkLoss - 1 / Double(min(max(networkLossSamples, 1), 250)))
        }
    }

    /// Forgets the stream entirely: its packets and numbering, and the playout state.
    private mutating func restart() {
        buffer.reset()
        resetPlayout()
    }

    /// Forgets where playout stands (after a new stream, or with the packet store in `restart`).
    private mutating func resetPlayout() {
        estimator.reset()
        playoutTimestamp = nil
        lastPlayedSequence = nil
        holdingSince = nil
        filteredDelay = nil
        highestSequence = nil
        highestTimestamp = nil
        lastBurstTimestamp = nil
        lastCopyTimestamp = nil
        copyDistance = 0
        qualityTarget = nil
        recentReordering = 0
        unclassifiedUnderrunSamples = 0
        previousWasConcealment = false
    }
}
