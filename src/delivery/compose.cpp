#include "delivery/compose.h"

#include "messages/render.h"

namespace mw::delivery {

std::string domainOf(const std::string& email) {
  auto at = email.find('@');
  return at == std::string::npos ? "localhost" : email.substr(at + 1);
}

mail::OutgoingMessage compose(const Job& job, const Content& p, const ComposeSettings& s) {
  messages::Recipient to{job.name, job.email, s.unsubscribeUrl};
  auto r = p.templates ? p.templates->render(to, s.htmlValues)
                       : messages::render(p.subject, p.text, p.html, to);
  mail::OutgoingMessage msg;
  msg.from = {p.fromName, s.fromEmail};
  msg.to = {job.name, job.email};
  msg.subject = r.subject;
  msg.text = r.text;
  msg.html = r.html;
  if (msg.text.empty() && msg.html.empty()) msg.text = " ";
  msg.messageId = s.messageId;
  msg.headers.push_back({"List-Unsubscribe", "<" + s.unsubscribeUrl + ">"});
  msg.headers.push_back({"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"});
  if (!p.replyTo.empty()) msg.headers.push_back({"Reply-To", p.replyTo});
  msg.headers.push_back({"X-Mailwright-Mailing", std::to_string(job.mailingId)});
  msg.headers.push_back({"Feedback-ID", std::to_string(job.mailingId) + ":" +
                                            std::to_string(job.ownerId) + ":" +
                                            domainOf(s.fromEmail) + ":mailwright"});
  return msg;
}

}  // namespace mw::delivery
