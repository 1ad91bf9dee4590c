#include "daemon/memory.h"

#include <malloc.h>

namespace tagflow::daemon {

void LimitMallocArenas() { mallopt(M_ARENA_MAX, 2); }

void ReleaseFreeMemory() { malloc_trim(0); }

}  // namespace tagflow::daemon
