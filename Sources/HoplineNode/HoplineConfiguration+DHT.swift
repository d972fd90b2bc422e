import HoplineDiscovery

extension HoplineConfiguration {
    /// Reads `[dht]` into `dht`; each bad value is an error naming its key.
    static func parseDHT(_ reader: ConfigurationReader, path: String, into configuration: inout HoplineConfiguration) throws(ConfigurationError) {
        var dht = configuration.dht
        try reader.section("dht") { section throws(ConfigurationError) in
            if let value = try section.int("network") {
                guard (0...Int(UInt32.max)).contains(value) else {
                    throw .invalidValue(path: path, key: "dht.network", reason: "\(value) (expected 0-\(UInt32.max))")
                }
                dht.network = UInt32(value)
            }
            if let value = try section.int("port") {
                guard (0...65_535).contains(value) else {
                    throw .invalidValue(path: path, key: "dht.port", reason: "\(value) (expected 0 (any) or 1-65535)")
                }
                dht.port = UInt16(value)
            }
            if let values = try section.stringArray("bootstrap") {
                dht.bootstrap = []
                for (index, text) in values.enumerated() {
                    do {
                        dht.bootstrap.append(try DHTBootstrapNode(parsing: text))
                    } catch {
                        throw .invalidValue(path: path, key: "dht.bootstrap[\(index)]", reason: "\(error)")
                    }
                }
            }
        }
        configuration.dht = dht
    }
}
