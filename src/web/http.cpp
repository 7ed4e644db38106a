#include "web/http.h"

#include <Poco/Net/MessageHeader.h>
#include <strings.h>

namespace mw::web {

const std::string& HeaderList::get(const std::string& name, const std::string& def) const {
  for (const auto& [k, v] : fields_)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return def;
}

bool HeaderList::has(const std::string& name) const {
  for (const auto& f : fields_)
    if (strcasecmp(f.first.c_str(), name.c_str()) == 0) return true;
  return false;
}

void HeaderList::set(const std::string& name, const std::string& value) {
  erase(name);
  fields_.emplace_back(name, value);
}

void HeaderList::add(const std::string& name, const std::string& value) {
  fields_.emplace_back(name, value);
}

void HeaderList::erase(const std::string& name) {
  std::erase_if(fields_,
                [&](const auto& f) { return strcasecmp(f.first.c_str(), name.c_str()) == 0; });
}

void Request::getCookies(Poco::Net::NameValueCollection& cookies) const {
  for (const auto& [k, v] : fields())
    if (strcasecmp(k.c_str(), "Cookie") == 0)
      Poco::Net::MessageHeader::splitParameters(v.begin(), v.end(), cookies);
}

std::istream& Request::stream() {
  if (!stream_) stream_ = std::make_unique<Poco::MemoryInputStream>(body_.data(), body_.size());
  return *stream_;
}

}  // namespace mw::web
