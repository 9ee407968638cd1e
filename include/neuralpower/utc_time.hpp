#pragma once
// The time stamps of the files the tool writes (dataset rows, model files, nets files).
#include <string>

namespace np {

// Now, as ISO 8601 UTC ("2017-07-11T09:30:00Z").
std::string utc_now_iso8601();

}  // namespace np
