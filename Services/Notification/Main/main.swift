// Entry point of the notification executable.

import Foundation
import Notification
import ServiceRuntime

exit(await ServiceMain.run(NotificationService.self).rawValue)
