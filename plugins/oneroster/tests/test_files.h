// Temporary OneRoster sets for the tests: a folder of files, optionally zipped.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace lmsgw::plugins::oneroster::testing {

class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  void write(const std::string& name, const std::string& content) const;
  void remove(const std::string& name) const;
  // Zips every file of this folder into `zip_path` (deflated).
  void zip_to(const std::filesystem::path& zip_path) const;

 private:
  std::filesystem::path path_;
};

// A manifest with every known file absent except those given.
std::string manifest(const std::map<std::string, std::string>& modes,
                     const std::string& version = "1.1");

inline constexpr const char* kOrgsHeader =
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n";
inline constexpr const char* kUsersHeader =
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n";
inline constexpr const char* kClassesHeader =
    "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
    "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n";
inline constexpr const char* kEnrollmentsHeader =
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
    "beginDate,endDate\n";

}  // namespace lmsgw::plugins::oneroster::testing
