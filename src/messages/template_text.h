#pragma once
#include <string>

#include "messages/template_check.h"
#include "web/context.h"

namespace mw::messages {

// The issue in the user's language: where it is, what is wrong, what would be right.
std::string explain(web::Ctx& ctx, const TemplateIssue& issue);

}  // namespace mw::messages
