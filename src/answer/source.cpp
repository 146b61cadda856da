#include "answer/source.h"

#include "web/url.h"

namespace owlet::answer {

std::string site_of(const std::string& url) {
  web::UrlParse p = web::parse_url(url);
  if (!p.error.ok()) return "";
  std::string host = p.url.host;
  if (host.rfind("www.", 0) == 0) host = host.substr(4);
  return host;
}

}  // namespace owlet::answer
