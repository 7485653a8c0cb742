//! Words of a document rendering that the note's [`ecmr::render::Labels`] do not have: state, events, roles.

use super::Lang;

/// The extra words, per language.
#[derive(Debug)]
pub(crate) struct Words {
    pub(crate) document: &'static str,
    pub(crate) state: &'static str,
    /// issued, cancelled, in_transit, delivered, refused.
    pub(crate) states: [&'static str; 5],
    pub(crate) events: &'static str,
    /// issued, cancelled, taken_over, reservations_accepted, amended, handed_over, delivered, delivery_refused.
    pub(crate) kinds: [&'static str; 8],
    /// sender, carrier, successive_carrier, consignee.
    pub(crate) roles: [&'static str; 4],
    pub(crate) key_id: &'static str,
    pub(crate) signed_at: &'static str,
    pub(crate) place: &'static str,
    pub(crate) time: &'static str,
    pub(crate) reservation: &'static str,
    pub(crate) grounds: &'static str,
    pub(crate) accepted: &'static str,
    pub(crate) accepts: &'static str,
    pub(crate) check: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) changes: &'static str,
    pub(crate) qr: &'static str,
    /// Reservation subjects: number_of_packages, marks_and_numbers, apparent_condition, packaging, loss_or_damage,
    /// other.
    pub(crate) reservation_subjects: [&'static str; 6],
    /// Check subjects (Art. 8.3): gross_weight, quantity, contents.
    pub(crate) check_subjects: [&'static str; 3],
    /// Heading of a rendered eFTI dataset.
    pub(crate) dataset: &'static str,
    /// What a rendered eFTI dataset is.
    pub(crate) dataset_note: &'static str,
    /// A box the dataset does not provide.
    pub(crate) not_provided: &'static str,
}

const EN: Words = Words {
    document: "Document",
    state: "State",
    states: ["issued", "cancelled", "in transit", "delivered", "delivery refused"],
    events: "SIGNATURE EVENTS",
    kinds: [
        "Issued",
        "Cancelled",
        "Taken over",
        "Reservations accepted",
        "Amended",
        "Handed over",
        "Delivered",
        "Delivery refused",
    ],
    roles: ["sender", "carrier", "successive carrier", "consignee"],
    key_id: "key id",
    signed_at: "signed",
    place: "Place",
    time: "Time",
    reservation: "Reservation",
    grounds: "grounds",
    accepted: "accepted by the sender, event",
    accepts: "Accepts the reservations of event",
    check: "Check",
    reason: "Reason",
    changes: "Changes",
    qr: "QR: the document's UIL, its last event and that event's digest — check against the electronic original",
    reservation_subjects: [
        "number of packages",
        "marks and numbers",
        "apparent condition of the goods",
        "packaging",
        "loss or damage",
        "other",
    ],
    check_subjects: ["gross weight", "quantity", "contents of the packages"],
    dataset: "eFTI DATASET",
    dataset_note: "Sent by a gate: the particulars of the note in the subsets asked for, not the signed document.",
    not_provided: "(not provided in this dataset)",
};

const NL: Words = Words {
    document: "Document",
    state: "Status",
    states: ["uitgegeven", "geannuleerd", "onderweg", "afgeleverd", "aflevering geweigerd"],
    events: "ONDERTEKENDE GEBEURTENISSEN",
    kinds: [
        "Uitgegeven",
        "Geannuleerd",
        "In ontvangst genomen",
        "Voorbehoud aanvaard",
        "Gewijzigd",
        "Overgedragen",
        "Afgeleverd",
        "Aflevering geweigerd",
    ],
    roles: ["afzender", "vervoerder", "opvolgende vervoerder", "geadresseerde"],
    key_id: "sleutel-id",
    signed_at: "ondertekend",
    place: "Plaats",
    time: "Tijd",
    reservation: "Voorbehoud",
    grounds: "gronden",
    accepted: "aanvaard door de afzender, gebeurtenis",
    accepts: "Aanvaardt het voorbehoud van gebeurtenis",
    check: "Controle",
    reason: "Reden",
    changes: "Wijzigingen",
    qr: "QR: UIL van het document, laatste gebeurtenis en haar digest — controleer tegen het elektronische origineel",
    reservation_subjects: [
        "aantal colli",
        "merken en nummers",
        "uiterlijke staat van de goederen",
        "verpakking",
        "verlies of schade",
        "overig",
    ],
    check_subjects: ["brutogewicht", "hoeveelheid", "inhoud van de colli"],
    dataset: "eFTI-DATASET",
    dataset_note: "Verzonden door een gate: de gegevens van de vrachtbrief in de gevraagde subsets, niet het ondertekende document.",
    not_provided: "(niet in deze dataset)",
};

const FR: Words = Words {
    document: "Document",
    state: "État",
    states: ["émise", "annulée", "en cours de transport", "livrée", "livraison refusée"],
    events: "ÉVÉNEMENTS SIGNÉS",
    kinds: [
        "Émise",
        "Annulée",
        "Prise en charge",
        "Réserves acceptées",
        "Modifiée",
        "Remise au transporteur successif",
        "Livrée",
        "Livraison refusée",
    ],
    roles: ["expéditeur", "transporteur", "transporteur successif", "destinataire"],
    key_id: "id de clé",
    signed_at: "signé",
    place: "Lieu",
    time: "Heure",
    reservation: "Réserve",
    grounds: "motifs",
    accepted: "acceptée par l'expéditeur, événement",
    accepts: "Accepte les réserves de l'événement",
    check: "Vérification",
    reason: "Motif",
    changes: "Modifications",
    qr: "QR : UIL du document, dernier événement et son condensé — à comparer à l'original électronique",
    reservation_subjects: [
        "nombre de colis",
        "marques et numéros",
        "état apparent de la marchandise",
        "emballage",
        "perte ou avarie",
        "autre",
    ],
    check_subjects: ["poids brut", "quantité", "contenu des colis"],
    dataset: "JEU DE DONNÉES eFTI",
    dataset_note: "Envoyé par une passerelle : les données de la lettre de voiture dans les sous-ensembles demandés, pas le document signé.",
    not_provided: "(absent de ce jeu de données)",
};

const DE: Words = Words {
    document: "Dokument",
    state: "Status",
    states: ["ausgestellt", "storniert", "unterwegs", "abgeliefert", "Annahme verweigert"],
    events: "SIGNIERTE EREIGNISSE",
    kinds: [
        "Ausgestellt",
        "Storniert",
        "Übernommen",
        "Vorbehalte angenommen",
        "Geändert",
        "Übergeben",
        "Abgeliefert",
        "Annahme verweigert",
    ],
    roles: ["Absender", "Frachtführer", "nachfolgender Frachtführer", "Empfänger"],
    key_id: "Schlüssel-ID",
    signed_at: "signiert",
    place: "Ort",
    time: "Zeit",
    reservation: "Vorbehalt",
    grounds: "Gründe",
    accepted: "vom Absender angenommen, Ereignis",
    accepts: "Nimmt die Vorbehalte an von Ereignis",
    check: "Prüfung",
    reason: "Grund",
    changes: "Änderungen",
    qr: "QR: UIL des Dokuments, letztes Ereignis und sein Hashwert — mit dem elektronischen Original vergleichen",
    reservation_subjects: [
        "Anzahl der Packstücke",
        "Zeichen und Nummern",
        "äußerer Zustand des Gutes",
        "Verpackung",
        "Verlust oder Beschädigung",
        "Sonstiges",
    ],
    check_subjects: ["Rohgewicht", "Menge", "Inhalt der Packstücke"],
    dataset: "eFTI-DATENSATZ",
    dataset_note: "Von einem Gate gesendet: die Angaben des Frachtbriefs in den angefragten Teilmengen, nicht das signierte Dokument.",
    not_provided: "(in diesem Datensatz nicht enthalten)",
};

impl Words {
    /// The words for a language.
    pub(crate) fn for_lang(lang: Lang) -> &'static Words {
        match lang {
            Lang::En => &EN,
            Lang::Nl => &NL,
            Lang::Fr => &FR,
            Lang::De => &DE,
        }
    }

    pub(crate) fn state(&self, s: ecmr::lifecycle::State) -> &'static str {
        use ecmr::lifecycle::State;
        let i = match s {
            State::Issued => 0,
            State::Cancelled => 1,
            State::InTransit => 2,
            State::Delivered => 3,
            State::Refused => 4,
        };
        self.states[i]
    }

    pub(crate) fn kind(&self, k: ecmr::document::EventKind) -> &'static str {
        use ecmr::document::EventKind as K;
        let i = match k {
            K::Issued => 0,
            K::Cancelled => 1,
            K::TakenOver => 2,
            K::ReservationsAccepted => 3,
            K::Amended => 4,
            K::HandedOver => 5,
            K::Delivered => 6,
            K::DeliveryRefused => 7,
        };
        self.kinds[i]
    }

    pub(crate) fn role(&self, r: ecmr::document::Role) -> &'static str {
        use ecmr::document::Role;
        let i = match r {
            Role::Sender => 0,
            Role::Carrier => 1,
            Role::SuccessiveCarrier => 2,
            Role::Consignee => 3,
        };
        self.roles[i]
    }

    pub(crate) fn reservation_subject(&self, r: ecmr::document::ReservationSubject) -> &'static str {
        use ecmr::document::ReservationSubject as S;
        let i = match r {
            S::NumberOfPackages => 0,
            S::MarksAndNumbers => 1,
            S::ApparentCondition => 2,
            S::Packaging => 3,
            S::LossOrDamage => 4,
            S::Other => 5,
        };
        self.reservation_subjects[i]
    }

    pub(crate) fn check_subject(&self, c: ecmr::document::CheckSubject) -> &'static str {
        use ecmr::document::CheckSubject as S;
        let i = match c {
            S::GrossWeight => 0,
            S::Quantity => 1,
            S::Contents => 2,
        };
        self.check_subjects[i]
    }
}
