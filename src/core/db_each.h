#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::db {

// Runs one statement `count` times with the parameters rowParams(i) gives; returns the affected
// rows in all. SQLite prepares it once and steps it per row (far cheaper than multi-row VALUES
// with thousands of ?NNN parameters, which SQLite compiles slowly); PostgreSQL executes it per
// row, so prefer multi-row statements there. Run it inside a Tx. With perRow, (*perRow)[i] is
// the rows that the i-th execution changed.
std::size_t execEach(Conn& c, const std::string& sql, std::size_t count,
                     const std::function<Params(std::size_t)>& rowParams,
                     std::vector<std::size_t>* perRow = nullptr);

}  // namespace mw::db
