// Entry point of the audit executable.

import Foundation
import Audit
import ServiceRuntime

exit(await ServiceMain.run(AuditService.self).rawValue)
