/// @file
/// @brief Everything a plugin author needs, in one include.
#pragma once

#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/errors.h"
#include "lmsgw/sdk/http.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/plugin.h"
#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/roster.h"
#include "lmsgw/sdk/signals.h"
#include "lmsgw/sdk/sync_plugin.h"
