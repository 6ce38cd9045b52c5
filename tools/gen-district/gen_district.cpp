// gen-district: writes a synthetic district for tests and benchmarks.
//
//   gen-district --users N --out DIR [--zip FILE] [--delta-delete K] [--clever FILE]
//
// --out DIR        a OneRoster 1.1 bulk set: manifest, orgs, users, classes (~N/25),
//                  enrollments (~4N), and demographics, results, lineItems (which the gateway
//                  must never read).
// --delta-delete K instead a delta set: the first K students tobedeleted, with their
//                  enrollments.
// --zip FILE       also zip the set (deflate level 1).
// --clever FILE    also a fake-Clever fixture of the same people: {"districts" (with the
//                  district-app token "gen-district-token"), "schools", "users", "sections"}
//                  in Clever v3 shape (tests/fakes/clever).
//
// Every field the gateway must drop carries a canary containing "canary" (in any case), so a
// test can grep the database and the logs for it; kept fields (given names, ids, teachers'
// emails) carry none. The people are a deterministic function of N.
#include <zip.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Buffered output: one fwrite per MiB.
class Out {
 public:
  explicit Out(const fs::path& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) throw std::runtime_error("cannot write " + path.string());
    buffer_.reserve(kSize + 4096);
  }
  ~Out() {
    flush();
    std::fclose(file_);
  }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;

  Out& operator<<(std::string_view text) {
    buffer_.append(text);
    if (buffer_.size() >= kSize) flush();
    return *this;
  }
  Out& operator<<(std::uint64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    return *this << std::string_view(digits, static_cast<std::size_t>(end - digits));
  }

 private:
  static constexpr std::size_t kSize = 1 << 20;
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw std::runtime_error("write failed");
    }
    buffer_.clear();
  }
  std::FILE* file_;
  std::string buffer_;
};

constexpr std::string_view kGivenNames[] = {"Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus",
                                            "Hana", "Ivo", "Jin", "Kai", "Lia", "Max", "Noor"};

struct District {
  std::uint64_t users = 0;
  std::uint64_t teachers = 0;
  std::uint64_t guardians = 0;
  std::uint64_t students = 0;
  std::uint64_t classes = 0;
  std::uint64_t schools = 0;

  explicit District(std::uint64_t n) : users(n) {
    teachers = std::max<std::uint64_t>(1, n / 50);
    guardians = n / 100;
    students = n > teachers + guardians ? n - teachers - guardians : 1;
    classes = std::max<std::uint64_t>(1, n / 25);
    schools = std::max<std::uint64_t>(1, n / 500);
  }
  // Student s takes 4 classes spread over the district; class c is taught by teacher c % T.
  std::uint64_t class_of(std::uint64_t student, std::uint64_t k) const {
    return (student * 7 + k * (classes / 4 + 1)) % classes;
  }
};

std::string_view given(std::uint64_t i) { return kGivenNames[i % std::size(kGivenNames)]; }

void write_user(Out& out, std::string_view id_prefix, std::uint64_t i, std::string_view role,
                std::string_view status, const District& d) {
  out << id_prefix << i << "," << status << ",2024-09-01T00:00:00Z,true,sch-"
      << (i % d.schools) << "," << role << ",zzusercanary" << i << ",\"{LDAP:zzldapcanary" << i
      << "},{SIS:ZZSISCANARY" << i << "}\"," << given(i) << ",ZzfamilyCANARY" << i
      << ",ZzmiddleCANARY,ZZSISCANARY" << i << ",";
  // PRIVACY.md A keeps a teacher's email (to reach them), so only other emails are canaries.
  if (role == "teacher") {
    out << "teacher" << i << "@example.org";
  } else {
    out << "zz.canary." << i << "@example.org";
  }
  out << ",ZZSMSCANARY" << i << ",ZZPHONECANARY" << i << ",";
  if (role == "student" && d.guardians > 0) out << "gdn-" << (i % d.guardians);
  out << ",ZZGRADECANARY,zzpasswordcanary" << i << "\n";
}

void write_manifest(Out& out, bool delta) {
  const std::string_view applied = delta ? "delta" : "bulk";
  out << "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
      << "file.academicSessions,absent\nfile.categories,absent\n"
      << "file.classes," << (delta ? "absent" : "bulk") << "\n"
      << "file.classResources,absent\nfile.courses,absent\nfile.courseResources,absent\n"
      << "file.demographics," << (delta ? "absent" : "bulk") << "\n"
      << "file.enrollments," << applied << "\n"
      << "file.lineItems," << (delta ? "absent" : "bulk") << "\n"
      << "file.orgs," << (delta ? "absent" : "bulk") << "\n"
      << "file.resources,absent\n"
      << "file.results," << (delta ? "absent" : "bulk") << "\n"
      << "file.users," << applied << "\n"
      << "source.systemName,gen-district\n";
}

constexpr std::string_view kUsersHeader =
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n";
constexpr std::string_view kEnrollmentsHeader =
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
    "beginDate,endDate\n";

void write_bulk(const fs::path& dir, const District& d) {
  {
    Out out(dir / "manifest.csv");
    write_manifest(out, false);
  }
  {
    Out out(dir / "orgs.csv");
    out << "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
        << "dst-1,active,2024-09-01T00:00:00Z,Synthetic District,district,,\n";
    for (std::uint64_t s = 0; s < d.schools; ++s) {
      out << "sch-" << s << ",active,2024-09-01T00:00:00Z,School " << s << ",school,,dst-1\n";
    }
  }
  {
    Out out(dir / "users.csv");
    out << kUsersHeader;
    for (std::uint64_t i = 0; i < d.students; ++i) write_user(out, "stu-", i, "student", "", d);
    for (std::uint64_t i = 0; i < d.teachers; ++i) write_user(out, "tch-", i, "teacher", "", d);
    for (std::uint64_t i = 0; i < d.guardians; ++i) write_user(out, "gdn-", i, "parent", "", d);
  }
  {
    Out out(dir / "classes.csv");
    out << "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
           "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n";
    for (std::uint64_t c = 0; c < d.classes; ++c) {
      out << "cls-" << c << ",,2024-09-01T00:00:00Z,Class " << c << ",03,crs-" << (c % 50)
          << ",C" << c << ",scheduled,Room " << (c % 40) << ",sch-" << (c % d.schools)
          << ",term-1,\"math,science\",,1\n";
    }
  }
  {
    Out out(dir / "enrollments.csv");
    out << kEnrollmentsHeader;
    std::uint64_t e = 0;
    for (std::uint64_t c = 0; c < d.classes; ++c) {
      out << "enr-" << e++ << ",,2024-09-01T00:00:00Z,cls-" << c << ",sch-" << (c % d.schools)
          << ",tch-" << (c % d.teachers) << ",teacher,true,2024-09-01,2025-06-30\n";
    }
    for (std::uint64_t s = 0; s < d.students; ++s) {
      for (std::uint64_t k = 0; k < 4; ++k) {
        const std::uint64_t c = d.class_of(s, k);
        out << "enr-" << e++ << ",,2024-09-01T00:00:00Z,cls-" << c << ",sch-" << (c % d.schools)
            << ",stu-" << s << ",student,false,2024-09-01,2025-06-30\n";
      }
    }
  }
  {
    Out out(dir / "demographics.csv");
    out << "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
           "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
           "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
           "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus\n";
    for (std::uint64_t s = 0; s < d.students; ++s) {
      out << "stu-" << s << ",,,1901-02-03,ZZSEXCANARY,true,false,false,false,false,false,true,"
          << "ZZCOUNTRYCANARY,ZZ,ZzcityCANARY" << s << ",ZZRESIDENCECANARY\n";
    }
  }
  {
    Out out(dir / "lineItems.csv");
    out << "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,"
           "classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,"
           "resultValueMax\n";
    for (std::uint64_t c = 0; c < d.classes; ++c) {
      out << "li-" << c << ",,,ZzlineitemCANARY,ZzassessmentCANARY,2024-10-01,2024-10-08,cls-"
          << c << ",cat-1,gp-1,0,100\n";
    }
  }
  {
    Out out(dir / "results.csv");
    out << "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,"
           "score,scoreDate,comment\n";
    for (std::uint64_t s = 0; s < d.students; ++s) {
      out << "res-" << s << ",,,li-" << d.class_of(s, 0) << ",stu-" << s
          << ",fully graded,97.125,2024-10-09,ZzscoreCANARY" << s << "\n";
    }
  }
}

void write_delta(const fs::path& dir, const District& d, std::uint64_t deleted) {
  deleted = std::min(deleted, d.students);
  {
    Out out(dir / "manifest.csv");
    write_manifest(out, true);
  }
  {
    Out out(dir / "users.csv");
    out << kUsersHeader;
    for (std::uint64_t i = 0; i < deleted; ++i) write_user(out, "stu-", i, "student", "tobedeleted", d);
  }
  {
    Out out(dir / "enrollments.csv");
    out << kEnrollmentsHeader;
    // The ids of the bulk set: teacher enrollments first, then 4 per student.
    for (std::uint64_t s = 0; s < deleted; ++s) {
      for (std::uint64_t k = 0; k < 4; ++k) {
        const std::uint64_t c = d.class_of(s, k);
        out << "enr-" << (d.classes + s * 4 + k) << ",tobedeleted,2024-12-01T00:00:00Z,cls-" << c
            << ",sch-" << (c % d.schools) << ",stu-" << s << ",student,false,,\n";
      }
    }
  }
}

std::string clever_id(unsigned kind, std::uint64_t i) {
  char text[25];
  std::snprintf(text, sizeof text, "6620%02x%018llx", kind, static_cast<unsigned long long>(i));
  return text;
}

void write_clever(const fs::path& path, const District& d) {
  Out out(path);
  const std::string district = clever_id(0xd1, 1);
  out << "{\"districts\":[{\"id\":\"" << district << "\",\"name\":\"Synthetic District\","
      << "\"token\":\"gen-district-token\"}],\n"
      << "\"schools\":[";
  for (std::uint64_t s = 0; s < d.schools; ++s) {
    out << (s ? ",\n" : "\n") << "{\"id\":\"" << clever_id(0xc1, s) << "\",\"district\":\""
        << district << "\",\"name\":\"School " << s << "\",\"sis_id\":\"ZZSCHOOLSISCANARY\"}";
  }
  out << "],\n\"users\":[";
  for (std::uint64_t i = 0; i < d.students; ++i) {
    out << (i ? ",\n" : "\n") << "{\"id\":\"" << clever_id(0x51, i) << "\",\"district\":\""
        << district << "\",\"email\":\"zz.canary." << i << "@example.org\",\"name\":{\"first\":\""
        << given(i) << "\",\"middle\":\"ZzmiddleCANARY\",\"last\":\"ZzfamilyCANARY" << i
        << "\"},\"created\":\"2024-08-01T00:00:00.000Z\",\"last_modified\":\"2024-09-01T00:00:00.000Z\","
        << "\"roles\":{\"student\":{\"dob\":\"2/3/1901\",\"grade\":\"3\",\"gender\":\"ZZGENDERCANARY\","
        << "\"race\":\"ZZRACECANARY\",\"hispanic_ethnicity\":\"ZZETHNICITYCANARY\","
        << "\"ell_status\":\"ZZELLCANARY\",\"iep_status\":\"ZZIEPCANARY\",\"frl_status\":\"ZZFRLCANARY\","
        << "\"sis_id\":\"ZZSISCANARY" << i << "\",\"state_id\":\"ZZSTATEIDCANARY" << i
        << "\",\"student_number\":\"ZZNUMBERCANARY" << i << "\",\"school\":\""
        << clever_id(0xc1, i % d.schools) << "\",\"schools\":[\"" << clever_id(0xc1, i % d.schools)
        << "\"],\"credentials\":{\"district_username\":\"zzusercanary" << i << "\"},"
        << "\"location\":{\"address\":\"ZZADDRESSCANARY\",\"zip\":\"ZZZIPCANARY\"},"
        << "\"unweighted_gpa\":\"ZZGPACANARY\",\"ext\":{}}}}";
  }
  for (std::uint64_t i = 0; i < d.teachers; ++i) {
    out << ",\n{\"id\":\"" << clever_id(0x71, i) << "\",\"district\":\"" << district
        << "\",\"email\":\"zz.teacher." << i << "@example.org\",\"name\":{\"first\":\"" << given(i)
        << "\",\"last\":\"ZzteacherfamilyCANARY" << i << "\"},\"roles\":{\"teacher\":{\"sis_id\":"
        << "\"ZZTEACHERSISCANARY" << i << "\",\"title\":\"Ms.\",\"school\":\""
        << clever_id(0xc1, i % d.schools) << "\"}}}";
  }
  out << "],\n\"sections\":[";
  // Students of each section, gathered by inverting class_of.
  std::vector<std::vector<std::uint64_t>> members(d.classes);
  for (std::uint64_t s = 0; s < d.students; ++s) {
    for (std::uint64_t k = 0; k < 4; ++k) members[d.class_of(s, k)].push_back(s);
  }
  for (std::uint64_t c = 0; c < d.classes; ++c) {
    const std::string teacher = clever_id(0x71, c % d.teachers);
    out << (c ? ",\n" : "\n") << "{\"id\":\"" << clever_id(0x5c, c) << "\",\"district\":\""
        << district << "\",\"school\":\"" << clever_id(0xc1, c % d.schools) << "\",\"name\":\"Class "
        << c << "\",\"sis_id\":\"ZZSECTIONSISCANARY\",\"teacher\":\"" << teacher
        << "\",\"teachers\":[\"" << teacher << "\"],\"students\":[";
    for (std::size_t k = 0; k < members[c].size(); ++k) {
      out << (k ? ",\"" : "\"") << clever_id(0x51, members[c][k]) << "\"";
    }
    out << "]}";
  }
  out << "]}\n";
}

void zip_folder(const fs::path& dir, const fs::path& zip_path) {
  int error = 0;
  zip_t* archive = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) throw std::runtime_error("cannot create " + zip_path.string());
  for (const auto& entry : fs::directory_iterator(dir)) {
    zip_source_t* source = zip_source_file(archive, entry.path().c_str(), 0, -1);
    const zip_int64_t index =
        source == nullptr ? -1 : zip_file_add(archive, entry.path().filename().c_str(), source, 0);
    if (index < 0 || zip_set_file_compression(archive, static_cast<zip_uint64_t>(index),
                                              ZIP_CM_DEFLATE, 1) != 0) {
      throw std::runtime_error("cannot add to the zip");
    }
  }
  if (zip_close(archive) != 0) throw std::runtime_error("cannot write the zip");
}

[[noreturn]] void usage() {
  std::cerr << "usage: gen-district --users N --out DIR [--zip FILE] [--delta-delete K] "
               "[--clever FILE]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t users = 0;
  std::uint64_t deleted = 0;
  bool delta = false;
  fs::path out_dir, zip_path, clever_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage();
    const std::string value = argv[++i];
    if (flag == "--users") {
      users = std::stoull(value);
    } else if (flag == "--out") {
      out_dir = value;
    } else if (flag == "--zip") {
      zip_path = value;
    } else if (flag == "--delta-delete") {
      delta = true;
      deleted = std::stoull(value);
    } else if (flag == "--clever") {
      clever_path = value;
    } else {
      usage();
    }
  }
  if (users == 0 || (out_dir.empty() && clever_path.empty())) usage();
  try {
    const District district(users);
    if (!out_dir.empty()) {
      fs::create_directories(out_dir);
      for (const auto& entry : fs::directory_iterator(out_dir)) fs::remove_all(entry.path());
      if (delta) {
        write_delta(out_dir, district, deleted);
      } else {
        write_bulk(out_dir, district);
      }
      if (!zip_path.empty()) zip_folder(out_dir, zip_path);
    }
    if (!clever_path.empty()) write_clever(clever_path, district);
    std::cout << "users " << district.students + district.teachers + district.guardians
              << " students " << district.students << " teachers " << district.teachers
              << " guardians " << district.guardians << " classes " << district.classes
              << " enrollments " << (delta ? std::min(deleted, district.students) * 4
                                           : district.classes + district.students * 4)
              << " schools " << district.schools << "\n";
  } catch (const std::exception& e) {
    std::cerr << "gen-district: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
