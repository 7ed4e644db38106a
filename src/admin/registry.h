#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/db.h"
#include "web/context.h"

namespace mw::admin {

// What a domain declares about one of its tables for the admin section. The admin builds its SQL
// only from these declarations (never from the request), so each table is described by the
// domain that owns it and table and column names are fixed at compile time.
enum class Type {
  Text,       // one line
  Multiline,  // textarea
  Email,      // trimmed, lowercased, checked
  Int,        // whole number within [min, max]
  Bool,       // 0/1, a checkbox
  Time,       // UTC epoch seconds, edited in the admin's time zone
  Choice,     // one of `choices`
};

struct Column {
  std::string name{};  // SQL column name
  Type type = Type::Text;
  bool editable = false;
  bool searchable = false;
  bool listed = true;         // shown in the table list (every column is shown on the row's page)
  bool nullable = false;      // an empty input stores NULL
  bool required = false;      // an empty input is refused
  std::size_t maxLength = 0;  // in characters; 0 = no limit
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  std::vector<std::string> choices{};
  std::vector<std::string> uniqueWith{};  // unique together with these columns (when `unique`)
  bool unique = false;
  std::string ref{};  // name of the admin table whose id this column holds (shown as a link)
  // Translation key prefix of the stored values ("role_": content_manager ->
  // "role_content_manager") so the admin reads words, not codes; a value without a translation is
  // shown as stored.
  std::string valueKey{};
};

// A set of named flags of a row that the owning domain stores itself (a user's roles).
struct FlagSet {
  std::string name;                  // URL segment: /admin/{table}/{id}/{name}
  std::string labelKey;              // translation key of the panel title
  std::string optionKey;             // translation key prefix of each option ("role_")
  std::vector<std::string> implied;  // always on, shown checked and disabled ("user")
  std::vector<std::string> options;  // what can be switched
  std::function<std::set<std::string>(db::Conn&, std::int64_t id)> get;
  std::function<void(db::Conn&, std::int64_t id, const std::set<std::string>& on)> set;
  // Translation key of a refusal, "" when the change is allowed.
  std::function<std::string(const web::Identity& actor, std::int64_t id,
                            const std::set<std::string>& on)>
      check;
};

// Submitted values of the editable columns after type checks (NULL as nullopt).
using Values = std::map<std::string, std::optional<std::string>>;

struct Table {
  std::string name;      // SQL table name and URL segment
  std::string labelKey;  // translation key of its title
  std::vector<Column> columns;
  bool keyed = true;  // has an integer `id` primary key; false: browse only
  bool deletable = false;
  std::string orderBy = "id DESC";  // identifiers with ASC/DESC, comma separated
  std::string touch;                // column set to now on every edit ("updated_at"), or ""
  std::vector<FlagSet> flags;
  // Rules of the owning domain on top of the column checks: field -> translation key.
  std::function<std::map<std::string, std::string>(db::Conn&, const web::Identity& actor,
                                                   std::int64_t id, const Values& values)>
      check;
  // Translation key of a refusal to delete, "" when allowed.
  std::function<std::string(const web::Identity& actor, std::int64_t id)> checkDelete;
  // After a saved edit, flag change or delete, inside its transaction (ending sessions).
  std::function<void(web::Platform&, db::Conn&, std::int64_t id)> changed;
  // After that transaction committed: cache invalidation, which writes through another
  // connection and on SQLite would wait on the open transaction's lock until the busy timeout.
  std::function<void(web::Platform&, std::int64_t id)> committed;
};

}  // namespace mw::admin
