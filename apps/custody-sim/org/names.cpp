// Synthetic word lists: invented combinations of common given names and surnames, made-up streets,
// towns and practices. Nothing here identifies a real person, patient or organisation.
#include "org/names.h"

namespace custody::sim::gen {

const std::string_view kFirstNames[96] = {
    "Mara",    "Jonah",   "Priya",   "Elena",   "Tobias",  "Amara",   "Felix",   "Nadia",
    "Owen",    "Ingrid",  "Rafael",  "Leona",   "Caleb",   "Yuki",    "Dmitri",  "Sofia",
    "Marcus",  "Hana",    "Isaac",   "Fatima",  "Gideon",  "Beatrix", "Luca",    "Zara",
    "Samuel",  "Noor",    "Adrian",  "Clara",   "Emeka",   "Greta",   "Hugo",    "Iris",
    "Julian",  "Keiko",   "Leander", "Maya",    "Nikolai", "Olivia",  "Pablo",   "Quinn",
    "Rosa",    "Silas",   "Talia",   "Umar",    "Vera",    "Wesley",  "Ximena",  "Yosef",
    "Zoe",     "Anika",   "Bruno",   "Celeste", "Dario",   "Esme",    "Farid",   "Gemma",
    "Hector",  "Ilse",    "Jasper",  "Kira",    "Lionel",  "Mirela",  "Nico",    "Odette",
    "Percy",   "Renata",  "Soren",   "Thea",    "Ulrich",  "Valeria", "Wendell", "Yara",
    "Abel",    "Bianca",  "Cyrus",   "Delia",   "Ezra",    "Flora",   "Gustavo", "Helena",
    "Ivo",     "Juno",    "Kofi",    "Lorna",   "Matteo",  "Nell",    "Oscar",   "Petra",
    "Ramon",   "Sabine",  "Teodor",  "Ursula",  "Vikram",  "Willa",   "Xavier",  "Yvette",
};

const std::string_view kLastNames[120] = {
    "Okafor",     "Lindqvist",  "Ramanathan", "Castellano", "Whitlock",   "Adeyemi",   "Brennan",
    "Kowalczyk",  "Haddad",     "Morales",    "Nakamura",   "Oyelaran",   "Petrov",    "Quintero",
    "Rasmussen",  "Sandoval",   "Takahashi",  "Umberto",    "Vasquez",    "Whitaker",  "Yilmaz",
    "Zimmerman",  "Abernathy",  "Bellamy",    "Carrow",     "Delacroix",  "Eastwood",  "Falkner",
    "Galloway",   "Hargrove",   "Ibsen",      "Jablonski",  "Kettering",  "Lachance",  "Merriweather",
    "Nightingale", "Ostrander", "Pemberton",  "Quigley",    "Rutherford", "Sorensen",  "Thornbury",
    "Underhill",  "Valdivia",   "Wexford",    "Yardley",    "Abiodun",    "Bergstrom", "Chandrasekar",
    "Dunmore",    "Ellison",    "Fairbanks",  "Grimaldi",   "Holloway",   "Iwasaki",   "Jorgensen",
    "Kincaid",    "Lockhart",   "Mbeki",      "Northcott",  "Oduya",      "Prescott",  "Rosenthal",
    "Stanhope",   "Tremblay",   "Uchenna",    "Vandermeer", "Winslow",    "Achterberg", "Blackwood",
    "Crane",      "Dorsey",     "Esposito",   "Fennimore",  "Greaves",    "Huxley",    "Ivanova",
    "Jennings",   "Kaplan",     "Lombardi",   "Mancini",    "Nakashima",  "Ogilvie",   "Pacheco",
    "Radcliffe",  "Salazar",    "Tanaka",     "Ulloa",      "Varga",      "Westbrook", "Yoon",
    "Zelenko",    "Ashworth",   "Bramble",    "Castillo",   "Dempsey",    "Eriksen",   "Ferreira",
    "Goldberg",   "Hawthorne",  "Ingram",     "Jovanovic",  "Kavanagh",   "Larkspur",  "Montague",
    "Novak",      "Osei",       "Pruitt",     "Renwick",    "Sutherland", "Tolliver",  "Upton",
    "Vickers",    "Wainwright", "Yamada",     "Zorilla",    "Alcott",     "Birch",     "Cordova",
    "Drummond",
};

const std::string_view kStreetNames[40] = {
    "Elm",      "Juniper",   "Harbor",    "Quarry",   "Maple",    "Larch",    "Willow",  "Orchard",
    "Ridge",    "Chestnut",  "Birchwood", "Meadow",   "Lantern",  "Foundry",  "Granite", "Sparrow",
    "Heron",    "Cobble",    "Millpond",  "Thistle",  "Beacon",   "Cedar",    "Fernhill", "Kestrel",
    "Lilac",    "Marigold",  "Northgate", "Oakmont",  "Pinecrest", "Rookery", "Saltmarsh", "Tamarack",
    "Upland",   "Vinewood",  "Westmere",  "Yarrow",   "Ashgrove", "Bramble",  "Clover",  "Driftwood",
};

const std::string_view kStreetKinds[8] = {"St", "Ave", "Rd", "Ln", "Ct", "Way", "Dr", "Pl"};

const std::string_view kTownNames[24] = {
    "Millbrook",  "East Harlow", "Fairhaven",  "Stonebridge", "Larkfield", "Wexley",
    "Ashford",    "Briar Glen",  "Cold Spring", "Dunmore",    "Elmstead",  "Foxborough Falls",
    "Glenhollow", "Hartwell",    "Ivydale",    "Juniper Bay", "Kingsmere", "Linden Cross",
    "Marshfield Hills", "North Alder", "Oak Haven", "Pell Harbor", "Quarry Point", "Rowan Vale",
};

const std::string_view kPracticeWords[24] = {
    "Riverside",  "Harborview", "Summit",    "Lakeside",  "Northgate", "Meadowbrook",
    "Cedar Hill", "Brookside",  "Westfield", "Pinecrest", "Oakridge",  "Valley",
    "Bayshore",   "Hillcrest",  "Fairview",  "Greenway",  "Stonegate", "Maplewood",
    "Clearwater", "Highland",   "Eastbrook", "Southpoint", "Kingsley", "Elmhurst",
};

const std::string_view kPayerNames[12] = {
    "Bluewater Health Plan",    "Keystone Mutual",        "Northstar Care Alliance",
    "Evergreen Health Partners", "Harbor Medicaid Plan",   "Summit Senior Advantage",
    "Lighthouse Employers Trust", "Crestline Insurance",   "Unity Community Health Plan",
    "Granite State Benefit Co",  "Prairie Mutual Health",   "Coastal Care Cooperative",
};

const std::string_view kMedications[32] = {
    "Atorvastatin 20 mg tablet",  "Metformin 500 mg tablet",   "Lisinopril 10 mg tablet",
    "Amlodipine 5 mg tablet",     "Levothyroxine 50 mcg tablet", "Omeprazole 20 mg capsule",
    "Sertraline 50 mg tablet",    "Albuterol 90 mcg inhaler",  "Gabapentin 300 mg capsule",
    "Hydrochlorothiazide 25 mg tablet", "Losartan 50 mg tablet", "Montelukast 10 mg tablet",
    "Escitalopram 10 mg tablet",  "Rosuvastatin 10 mg tablet", "Pantoprazole 40 mg tablet",
    "Furosemide 20 mg tablet",    "Carvedilol 6.25 mg tablet", "Tamsulosin 0.4 mg capsule",
    "Apixaban 5 mg tablet",       "Insulin glargine 100 units/mL", "Prednisone 10 mg tablet",
    "Amoxicillin 500 mg capsule", "Citalopram 20 mg tablet",   "Meloxicam 15 mg tablet",
    "Clopidogrel 75 mg tablet",   "Duloxetine 30 mg capsule",  "Famotidine 20 mg tablet",
    "Cetirizine 10 mg tablet",    "Bupropion 150 mg tablet",   "Trazodone 50 mg tablet",
    "Warfarin 5 mg tablet",       "Spironolactone 25 mg tablet",
};

const std::string_view kDiagnosisCodes[24] = {
    "E11.9", "I10",   "J45.909", "E78.5", "F32.9",  "M54.5", "K21.9", "N39.0",
    "J06.9", "E03.9", "I48.91",  "G43.909", "F41.1", "M17.11", "R51.9", "Z00.00",
    "J44.9", "E66.9", "I25.10",  "K58.9", "L40.0",  "M81.0", "N18.3", "R10.9",
};

}  // namespace custody::sim::gen
