#pragma once
#include "app/args.h"
#include "delivery/engine.h"

namespace mw::delivery {

// `send MAILING_ID`: one run now, waits for it (retries included), prints a summary.
int sendCommand(Engine& engine, const app::Args& args);
// `send-due`: starts every due mailing and sends what is ready, once.
int sendDueCommand(Engine& engine);

}  // namespace mw::delivery
