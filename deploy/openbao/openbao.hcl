# OpenBao server for the staging stack: integrated Raft storage, one node.
# Initialise and unseal once (deploy/README.md, "First start"); the Transit mount, keys and
# policies are created by the bootstrap-vault job (`semente bootstrap vault`). TLS terminates at
# the staging ingress; inside the compose network the listener is plain HTTP.
ui = false
disable_mlock = true
api_addr = "http://openbao:8200"
cluster_addr = "http://openbao:8201"

storage "raft" {
  # The image's entrypoint hands /openbao/file to the openbao user (the named volume mounts here).
  path    = "/openbao/file"
  node_id = "openbao-1"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}

telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
