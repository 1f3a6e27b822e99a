/* firewall: placeholder, being written. */
#include "firewall.h"
