// Entry point of registryctl: ArgumentParser's async main of the root command.

import ArgumentParser
import RegistryCtl

@main
extension RegistryCtlCommand {}
