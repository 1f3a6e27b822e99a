/* ct_reason: placeholder, being written. */
#include "ct_reason.h"
