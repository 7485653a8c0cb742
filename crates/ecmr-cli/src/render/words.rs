//! Words of a document rendering that the note's [`ecmr::render::Labels`] do not have: state, events, roles.

use crate::cli::Lang;

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
    qr: "QR: document id, last event and its digest — check against the electronic original",
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
    qr: "QR: document-id, laatste gebeurtenis en haar digest — controleer tegen het elektronische origineel",
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
    qr: "QR : id du document, dernier événement et son condensé — à comparer à l'original électronique",
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
    qr: "QR: Dokument-ID, letztes Ereignis und sein Hashwert — mit dem elektronischen Original vergleichen",
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
}
