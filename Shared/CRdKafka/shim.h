// The librdkafka C API, built against the distribution's librdkafka-dev headers.
// At run time a librdkafka >= 2.2 must be loaded (docs/architecture.md §8); Kafka checks this.
#include <librdkafka/rdkafka.h>
