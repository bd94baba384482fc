// Subject: the distinguished name fields of cfssl's CSR JSON and of its sign
// requests' "subject" override: {"CN", "names": [{C, ST, L, O, OU, E, OID}],
// "serialnumber"}.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace trustplane::pki {

struct NameEntry {
  std::string c, st, l, o, ou;
  std::string e;                           // emailAddress attribute
  std::map<std::string, std::string> oid;  // dotted OID -> value, extra attributes
  bool empty() const {
    return c.empty() && st.empty() && l.empty() && o.empty() && ou.empty() && e.empty() &&
           oid.empty();
  }
};

struct Subject {
  std::string cn;
  std::vector<NameEntry> names;
  std::string serial_number;  // the subject's serialNumber attribute, not the certificate's
  bool empty() const {
    for (const auto& n : names) {
      if (!n.empty()) return false;
    }
    return cn.empty() && serial_number.empty();
  }
};

}  // namespace trustplane::pki
