internal import COpenDHT
import Dispatch

/// What one OpenDHT operation's callbacks need: its number and the queue they report to. Passed to C as an
/// unmanaged pointer, retained until the operation's last callback (done, or the listen's release).
final class DHTCallbackContext: Sendable {
    let operation: Int
    let events: DHTEventQueue

    init(operation: Int, events: DHTEventQueue) {
        self.operation = operation
        self.events = events
    }
}

/// The semaphore `DHTRunner.shutdown` waits on.
final class DHTShutdownContext: Sendable {
    let finished: DispatchSemaphore
    init(_ finished: DispatchSemaphore) { self.finished = finished }
}

/// The bytes of a value OpenDHT lends to a callback, copied (OpenDHT keeps ownership).
private func copyData(_ value: OpaquePointer) -> [UInt8] {
    let view = dht_value_get_data(value)
    guard let data = view.data, view.size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: view.size))
}

// These run on OpenDHT's threads: they copy and queue, nothing else.

let dhtGetCallback: dht_get_cb = { value, userData in
    guard let value, let userData else { return true }
    let context = Unmanaged<DHTCallbackContext>.fromOpaque(userData).takeUnretainedValue()
    context.events.push(.value(operation: context.operation, bytes: copyData(value)))
    return true
}

let dhtValueCallback: dht_value_cb = { value, expired, userData in
    guard let value, let userData else { return true }
    let context = Unmanaged<DHTCallbackContext>.fromOpaque(userData).takeUnretainedValue()
    context.events.push(.listened(operation: context.operation, bytes: copyData(value), expired: expired))
    return true
}

/// The last callback of a get, put or ping: reports and releases the context.
let dhtDoneCallback: dht_done_cb = { ok, userData in
    guard let userData else { return }
    let context = Unmanaged<DHTCallbackContext>.fromOpaque(userData).takeRetainedValue()
    context.events.push(.done(operation: context.operation, ok: ok))
}

/// A listen's callback was destroyed (cancelled, or the runner deleted): releases its context.
let dhtReleaseCallback: dht_shutdown_cb = { userData in
    guard let userData else { return }
    Unmanaged<DHTCallbackContext>.fromOpaque(userData).release()
}

let dhtShutdownCallback: dht_shutdown_cb = { userData in
    guard let userData else { return }
    Unmanaged<DHTShutdownContext>.fromOpaque(userData).takeRetainedValue().finished.signal()
}
