"""Azure Resource Manager: the profile's resource and its real deployments (below both the CLI and the UI).

Foundry's data plane cannot list deployments; Resource Manager can, with only the Reader role.
Microsoft's management SDK is imported lazily (see `discovery`), so importing this package is cheap.
"""
