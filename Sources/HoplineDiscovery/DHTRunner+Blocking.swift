import Dispatch

/// Blocking forms of `get` and `put` for a caller with nothing else to do meanwhile (`hopline lookup`,
/// `hopline dht status`, tests, the benchmark). Events of other operations that arrive while waiting are
/// queued again afterwards, so a listen running on the same runner loses nothing.
extension DHTRunner {
    /// Every value at `key`, once the lookup is done or `timeoutSeconds` pass (nil: not done in time, with
    /// what arrived so far in `partial`).
    public func getAll(_ key: DHTKey, timeoutSeconds: Double) throws(DHTError) -> (values: [[UInt8]], done: Bool) {
        let operation = try get(key)
        var values: [[UInt8]] = []
        let done = waitFor(operation, timeoutSeconds: timeoutSeconds) { event in
            if case .value(_, let bytes) = event { values.append(bytes) }
        }
        return (values, done != nil)
    }

    /// Puts `value` at `key` and waits for OpenDHT's answer: true when stored, false when it failed, nil on timeout.
    public func putAndWait(_ value: [UInt8], at key: DHTKey, timeoutSeconds: Double) throws(DHTError) -> Bool? {
        let operation = try put(value, at: key)
        return waitFor(operation, timeoutSeconds: timeoutSeconds) { _ in }
    }

    /// Pings a bootstrap node and waits: true when it answered, nil on timeout or when it did not resolve.
    public func bootstrapAndWait(_ node: DHTBootstrapNode, timeoutSeconds: Double) -> Bool? {
        let operation = bootstrap(node)
        guard operation >= 0 else { return nil }
        return waitFor(operation, timeoutSeconds: timeoutSeconds) { _ in }
    }

    /// Waits for `operation`'s done event (its `ok`), handing its other events to `each`.
    private func waitFor(_ operation: Int, timeoutSeconds: Double, each: (DHTEvent) -> Void) -> Bool? {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutSeconds) * 1e9)
        var others: [DHTEvent] = []
        defer { for event in others { events.push(event) } }
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return nil }
            for event in events.waitAndDrain(timeoutNanoseconds: deadline - now) {
                switch event {
                case .done(let id, let ok) where id == operation: return ok
                case .value(let id, _) where id == operation: each(event)
                default: others.append(event)
                }
            }
        }
    }
}

extension DHTRunner {
    /// Looks up every key at once and waits until all are done or `timeoutSeconds` pass: the values found at
    /// each key, and the keys whose lookup did not finish in time.
    public func getMany(_ keys: [DHTKey], timeoutSeconds: Double) throws(DHTError) -> (values: [DHTKey: [[UInt8]]], unfinished: Set<DHTKey>) {
        var byOperation: [Int: DHTKey] = [:]
        for key in keys { byOperation[try get(key)] = key }
        var values: [DHTKey: [[UInt8]]] = [:]
        for key in keys { values[key] = [] }
        var pending = Set(byOperation.keys)
        var others: [DHTEvent] = []
        defer { for event in others { events.push(event) } }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutSeconds) * 1e9)
        while !pending.isEmpty {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            for event in events.waitAndDrain(timeoutNanoseconds: deadline - now) {
                switch event {
                case .done(let id, _) where byOperation[id] != nil: pending.remove(id)
                case .value(let id, let bytes) where byOperation[id] != nil: values[byOperation[id]!, default: []].append(bytes)
                default: others.append(event)
                }
            }
        }
        return (values, Set(pending.compactMap { byOperation[$0] }))
    }
}
