// Entry point of the registration-intake executable.

import Foundation
import RegistrationIntake
import ServiceRuntime

exit(await ServiceMain.run(RegistrationIntakeService.self).rawValue)
