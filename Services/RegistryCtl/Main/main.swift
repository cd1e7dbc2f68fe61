// Entry point of registryctl.

import RegistryCtl

await RegistryCtlCommand.main()
