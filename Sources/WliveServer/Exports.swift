// Embedders of `Gateway` use channel ids, comments and the configuration in its API.
@_exported import WliveConfig
@_exported import WliveProtocol
