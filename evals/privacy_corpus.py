"""A generated corpus for the privacy evaluation: a population (the "public table": name,
sex, birth date, ZIP) and the notes of the patients drawn from it.

Deterministic for a seed. Every value is synthetic: names from the de-identification name
lists, ZIPs from made-up 3-digit areas (two of them HIPAA-restricted), diagnoses from a
list of common ICD-10-CM codes plus a few rare ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from agent.privacy.linkage import PublicPerson
from agent.schemas.notes import Note

SEED = 20261207
# Made-up 3-digit ZIP areas; 036 and 059 are HIPAA-restricted (released as 000).
ZIP3_AREAS = tuple(f"{n:03d}" for n in range(100, 158)) + ("036", "059")
FIRST_F = ("Maria", "Linda", "Susan", "Karen", "Nancy", "Betty", "Helen", "Sandra", "Donna",
           "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Deborah",
           "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda", "Amy", "Anna")
FIRST_M = ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
           "Thomas", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
           "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Edward", "Ronald")
SURNAMES = ("Okafor", "Lindqvist", "Abernathy", "Castellanos", "Whitcombe", "Nakamura",
            "Brennan", "Adeyemi", "Halloran", "Petrakis", "Szymanski", "Delacroix", "Mbeki",
            "Fairweather", "Oyelaran", "Grevitt", "Quenby", "Thornbury", "Vasquez", "Kowalczyk",
            "Haugen", "Marchetti", "Pursglove", "Ashdown", "Ferreira", "Iwasaki", "Novak",
            "Tremblay", "Sorensen", "Albrecht", "Rahman", "Kaur", "Nguyen", "Osei", "Moreau")
STREETS = ("Elm St", "Oak Ave", "Maple Dr", "Cedar Ln", "Birch Rd", "Willow Way", "Pine St")
COMMON_DX = (("Essential hypertension", "I10"), ("Type 2 diabetes mellitus", "E11.9"),
             ("Hyperlipidemia", "E78.5"), ("GERD", "K21.9"), ("Osteoarthritis of knee", "M17.9"),
             ("Hypothyroidism", "E03.9"), ("COPD", "J44.9"), ("Major depressive disorder",
                                                                "F32.9"),
             ("Atrial fibrillation", "I48.91"), ("CKD stage 3a", "N18.31"), ("Asthma", "J45.909"),
             ("Obesity", "E66.9"), ("Anxiety disorder", "F41.9"), ("Heart failure", "I50.9"))
RARE_DX = (("Neurofibromatosis type 1", "Q85.01"), ("Gaucher disease", "E75.22"),
           ("Amyotrophic lateral sclerosis", "G12.21"), ("Wilson disease", "E83.01"),
           ("Myasthenia gravis", "G70.00"), ("Sarcoidosis of lung", "D86.0"),
           ("Huntington disease", "G10"), ("Systemic sclerosis", "M34.9"))
OCCUPATIONS = ("retired machinist", "school teacher", "registered nurse", "truck driver",
               "accountant", "farmer", "retired electrician", "cashier", "police officer",
               "software engineer", "homemaker", "retired teacher", "chef", "janitor")
COUNTRIES = ("Mexico", "Guatemala", "Vietnam", "Poland", "Nigeria", "India", "Portugal",
             "Haiti", "Ireland", "Philippines")
COMPLAINTS = ("shortness of breath", "chest pain", "abdominal pain", "a fall at home",
              "dizziness", "fever and cough", "leg swelling", "back pain")


@dataclass
class PrivacyCorpus:
    """The population, the patients' notes and who each patient is."""

    population: list[PublicPerson]
    notes: list[Note]
    patient_person: dict[str, str]  # patient_id -> person_id


def _person(rng: random.Random, i: int) -> PublicPerson:
    sex = rng.choice("FM")
    first = rng.choice(FIRST_F if sex == "F" else FIRST_M)
    age = min(99, max(18, int(rng.gauss(60, 17))))
    born = date(2026 - age, 1, 1) + timedelta(days=rng.randrange(365))
    zip3 = rng.choice(ZIP3_AREAS)
    return PublicPerson(person_id=f"person-{i:05d}", name=f"{first} {rng.choice(SURNAMES)}",
                        sex=sex, birth_date=born, zip5=f"{zip3}{rng.randrange(100):02d}")


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _note(rng: random.Random, p: PublicPerson, pid: str, n: int, day: date,
          dx: list[tuple[str, str]], occupation: str, country: str | None) -> Note:
    age = _age_on(p.birth_date, day)
    he = "She" if p.sex == "F" else "He"
    street = f"{rng.randrange(10, 999)} {rng.choice(STREETS)}"
    origin = f" {he} is originally from {country}." if country else ""
    dx_lines = "\n".join(f"- {name} ({code})" for name, code in dx)
    text = (
        f"Riverbend Community Hospital - Clinic Note\n"
        f"Patient: {p.name}    MRN: {rng.randrange(10**7, 10**8)}    "
        f"DOB: {p.birth_date.month}/{p.birth_date.day}/{p.birth_date.year}\n"
        f"Address: {street}, Springfield, MA {p.zip5}\n"
        f"Visit date: {day.month}/{day.day}/{day.year}\n\n"
        f"HPI: {age} yo {p.sex} seen for {rng.choice(COMPLAINTS)}.{origin}\n"
        f"Social: Occupation: {occupation}. Lives with family.\n\n"
        f"Diagnoses:\n{dx_lines}\n\n"
        f"Plan: follow up in {rng.choice((2, 4, 6, 12))} weeks.\n"
    )
    return Note(patient_id=pid, note_id=f"{pid}-{n:02d}", date=day.isoformat(), text=text)


def generate(n_patients: int = 1000, *, decoys_per_patient: int = 4,
             seed: int = SEED) -> PrivacyCorpus:
    """A population of ``n_patients * (1 + decoys_per_patient)`` people and the notes (one
    or two each, 2024-2026) of ``n_patients`` of them."""
    rng = random.Random(seed)
    population = [_person(rng, i) for i in range(n_patients * (1 + decoys_per_patient))]
    patients = rng.sample(population, n_patients)
    notes: list[Note] = []
    who: dict[str, str] = {}
    for i, p in enumerate(patients):
        pid = f"G{i:04d}"
        who[pid] = p.person_id
        dx = rng.sample(COMMON_DX, rng.randint(1, 3))
        if rng.random() < 0.04:
            dx.append(rng.choice(RARE_DX))
        occupation = rng.choice(OCCUPATIONS)
        country = rng.choice(COUNTRIES) if rng.random() < 0.25 else None
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        for n in range(1, rng.choice((1, 1, 2)) + 1):
            day = first + timedelta(days=(n - 1) * rng.randrange(20, 200))
            notes.append(_note(rng, p, pid, n, day, dx, occupation, country))
    return PrivacyCorpus(population=population, notes=notes, patient_person=who)
