// Everything integration and e2e tests need: #include "harness.h".
#pragma once

#include "database.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "process.h"
#include "smtp_capture.h"
