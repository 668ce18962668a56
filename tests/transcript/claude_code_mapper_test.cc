#include <gtest/gtest.h>
#include "transcript/claude_code_testutil.h"
