/* ct_invalid: placeholder, being written. */
#include "firewall.h"
